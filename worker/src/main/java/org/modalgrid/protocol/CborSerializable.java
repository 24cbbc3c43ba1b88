package org.modalgrid.protocol;

/**
 * Marker for messages that cross nodes. Bound to Pekko's {@code jackson-cbor} serializer in
 * {@code reference.conf}; every implementation is round-trip tested.
 */
public interface CborSerializable {}
