/**
 * U-Nets for retinal vessel segmentation ({@link org.fundus4j.networks.unet.UNet}) and the soft Dice
 * loss they train with ({@link org.fundus4j.networks.unet.DiceLoss}).
 */
package org.fundus4j.networks.unet;
