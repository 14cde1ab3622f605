/**
 * Seeded SYNTHETIC fundus photographs ({@link org.fundus4j.samples.synthetic.SyntheticFundus}) and data
 * sets written as OP DICOM or in the public layouts ({@link org.fundus4j.samples.synthetic.SyntheticDataset}).
 */
package org.fundus4j.samples.synthetic;
