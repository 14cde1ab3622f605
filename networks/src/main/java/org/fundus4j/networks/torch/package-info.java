/**
 * Reading PyTorch checkpoints ({@link org.fundus4j.networks.torch.TorchCheckpoint}) into a
 * {@link org.fundus4j.networks.torch.StateDict} without executing pickled code, and copying them into
 * DL4J graphs whose layer names are PyTorch module names ({@link org.fundus4j.networks.torch.TorchWeights}).
 */
package org.fundus4j.networks.torch;
