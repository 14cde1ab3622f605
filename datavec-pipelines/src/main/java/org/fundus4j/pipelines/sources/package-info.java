/**
 * Data sources in their published layouts (DICOM folder or PACS pull, image folder, RFMiD, JSIEC, FIVES,
 * generic CSV), each listed as a {@link org.fundus4j.pipelines.sources.LabelledSet} and read through the
 * DataVec {@link org.fundus4j.pipelines.sources.FundusRecordReader}.
 */
package org.fundus4j.pipelines.sources;
