/**
 * Data sources in their published layouts (DICOM folder or PACS pull, image folder, RFMiD, JSIEC, FIVES,
 * generic CSV), each listed as a {@link org.fundus4j.pipelines.sources.LabelledSet} and read through the
 * DataVec {@link org.fundus4j.pipelines.sources.FundusRecordReader}; and reading one for a task:
 * {@link org.fundus4j.pipelines.sources.TaskData#read} on a {@link org.fundus4j.pipelines.sources.DataRequest}
 * (a {@link org.fundus4j.pipelines.sources.Layout}, a path, optional RFMiD images or columns, an optional
 * {@link org.fundus4j.pipelines.sources.LabelMap}).
 */
package org.fundus4j.pipelines.sources;
