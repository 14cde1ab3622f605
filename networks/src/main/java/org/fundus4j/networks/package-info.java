/**
 * Networks of the toolkit: a torchvision-exact ResNet-50 ({@link org.fundus4j.networks.ResNet50}) with the
 * heads of {@link org.fundus4j.networks.Head}, raw tensor I/O ({@link org.fundus4j.networks.RawTensors}), and
 * {@link org.fundus4j.networks.LayerHelpers}, which switches on DL4J's native convolution, BatchNorm and pooling.
 * Sub-packages: {@code torch} (PyTorch weights), {@code unet} (segmentation), {@code onnx} and
 * {@code inference} (export and inference backends).
 */
package org.fundus4j.networks;
