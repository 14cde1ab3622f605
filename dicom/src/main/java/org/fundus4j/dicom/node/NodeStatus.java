package org.fundus4j.dicom.node;

/**
 * Counters of a running {@link StorageNode}, for {@code fundus serve}'s status line.
 *
 * @param received images on disk in the node's store (this and earlier runs)
 * @param srSent images whose SR was accepted by the destination
 * @param failed images that could not be screened (see the manifest for the reasons)
 * @param queued images waiting for screening or sending
 * @param rejectedAssociations associations refused because of their calling AE title, this run
 */
public record NodeStatus(long received, long srSent, long failed, long queued, long rejectedAssociations) {
}
