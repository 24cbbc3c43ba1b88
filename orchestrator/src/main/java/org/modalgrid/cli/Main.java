package org.modalgrid.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code modalgrid} command line. */
@Command(name = "modalgrid", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {
        "Grid experiments on multimodal late-fusion learning: for every modality subset x training fraction x seed",
        "(x dataset axes), train a late-fusion model, measure the test risk and the latent quality eta, and",
        "report gamma_S(M,N) = eta(M) - eta(N) beside the test-risk difference (Huang et al., NeurIPS 2021)."},
    subcommands = {RunCommand.class, ServeCommand.class, WorkerCommand.class, ExportCommand.class,
        ClientCommands.Submit.class, ClientCommands.Extend.class,
        ClientCommands.Status.class, ClientCommands.Watch.class, ClientCommands.Retry.class, ClientCommands.Cancel.class,
        ClientCommands.TablesCmd.class, CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    System.exit(code);
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("modalgrid: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      return 1;
    });
    return cl;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"modalgrid " + (v == null ? "(development build)" : v)};
    }
  }
}
