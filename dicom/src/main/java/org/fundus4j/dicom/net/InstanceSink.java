package org.fundus4j.dicom.net;

import java.io.IOException;

/**
 * Receives each instance as it arrives; called on a network thread.
 *
 * <p>For a storage SCP the sink runs <em>before</em> the C-STORE response is sent: if it throws,
 * the sender gets no success and will retry, so a sink that persists the file (and fsyncs it)
 * makes "success" mean "on disk".
 */
@FunctionalInterface
public interface InstanceSink {

  /** Takes ownership of {@code instance.file()}; throw to refuse the instance. */
  void accept(ReceivedInstance instance) throws IOException;
}
