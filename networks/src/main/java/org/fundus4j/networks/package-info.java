/**
 * Networks of the toolkit: a torchvision-exact ResNet-50 ({@link org.fundus4j.networks.ResNet50}) with the
 * heads of {@link org.fundus4j.networks.Head}, and raw tensor I/O ({@link org.fundus4j.networks.RawTensors}).
 * Sub-packages: {@code torch} (PyTorch weights), {@code unet} (segmentation), {@code onnx} and
 * {@code inference} (export and inference backends).
 */
package org.fundus4j.networks;
