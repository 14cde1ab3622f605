package org.fundus4j.pipelines.sources;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.datavec.api.conf.Configuration;
import org.datavec.api.records.Record;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.api.records.metadata.RecordMetaDataIndex;
import org.datavec.api.records.reader.BaseRecordReader;
import org.datavec.api.split.InputSplit;
import org.datavec.api.writable.IntWritable;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Text;
import org.datavec.api.writable.Writable;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.ImageAndMask;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;

/**
 * A DataVec {@link org.datavec.api.records.reader.RecordReader} over a {@link LabelledSet} from any source
 * (DICOM folder, image folder, RFMiD, JSIEC, FIVES, generic CSV), yielding image + labels + patient id.
 *
 * <p>Each record is {@code [image, label_0, ..., label_{n-1}, patientId]}: the image an
 * {@link NDArrayWritable} {@code [1, 3, size, size]} from the pipeline, labels {@link IntWritable}s, the
 * patient id a {@link Text}. Segmentation records put the mask {@code [1, 1, size, size]} right after the
 * image. Files that cannot be read are recorded in the {@link SkipReport} and skipped. The reader needs
 * no {@code initialize}: the source has already listed the files (calling it is allowed and ignored).
 * It decodes on the calling thread; for multi-threaded training use
 * {@link org.fundus4j.pipelines.FundusDataSets}.
 *
 * <pre>{@code
 * LabelledSet set = Rfmid.read(Path.of("RFMiD/Training_Labels.csv"), Path.of("RFMiD/Training"));
 * RecordReader rr = new FundusRecordReader(set, Pipelines.evaluation(512), new SkipReport());
 * while (rr.hasNext()) { List<Writable> rec = rr.next(); ... }
 * }</pre>
 */
public final class FundusRecordReader extends BaseRecordReader {

  private final LabelledSet set;
  private final transient FundusPipeline pipeline;
  private final SkipReport skips;
  private int cursor;
  private int epoch;
  private Record pending;
  private Configuration conf;

  /** Creates a reader over {@code set} through {@code pipeline}, recording bad files in {@code skips}. */
  public FundusRecordReader(LabelledSet set, FundusPipeline pipeline, SkipReport skips) {
    this.set = Objects.requireNonNull(set, "set");
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.skips = Objects.requireNonNull(skips, "skips");
  }

  /** Returns the labelled set this reader reads. */
  public LabelledSet labelledSet() {
    return set;
  }

  @Override
  public void initialize(InputSplit split) {
    this.inputSplit = split;
  }

  @Override
  public void initialize(Configuration conf, InputSplit split) {
    this.conf = conf;
    initialize(split);
  }

  @Override
  public boolean hasNext() {
    while (pending == null && cursor < set.samples().size()) {
      int i = cursor++;
      pending = load(i);
    }
    return pending != null;
  }

  @Override
  public List<Writable> next() {
    return nextRecord().getRecord();
  }

  @Override
  public Record nextRecord() {
    if (!hasNext()) {
      throw new NoSuchElementException("No more records in " + set.layout() + "; call reset()");
    }
    Record r = pending;
    pending = null;
    invokeListeners(r);
    return r;
  }

  private Record load(int i) {
    Sample s = set.samples().get(i);
    long draw = (long) epoch * set.samples().size() + i;
    try {
      List<Writable> rec = new ArrayList<>();
      if (set.kind() == LabelKind.SEGMENTATION) {
        if (s.mask() == null) {
          throw new IOException("Segmentation sample has no mask");
        }
        var img = ImageFiles.read(s.image());
        var mask = ImageFiles.read(s.mask());
        if (mask.getWidth() != img.getWidth() || mask.getHeight() != img.getHeight()) {
          throw new IOException("Mask " + s.mask() + " is " + mask.getWidth() + "x" + mask.getHeight()
              + ", image is " + img.getWidth() + "x" + img.getHeight());
        }
        ImageAndMask out = pipeline.apply(img, mask, draw);
        rec.add(new NDArrayWritable(out.image()));
        rec.add(new NDArrayWritable(out.mask()));
      } else {
        rec.add(new NDArrayWritable(pipeline.apply(ImageFiles.open(s.image()), draw)));
      }
      for (int l : s.labels()) {
        rec.add(new IntWritable(l));
      }
      rec.add(new Text(s.patientId()));
      return new org.datavec.api.records.impl.Record(rec,
          new RecordMetaDataIndex(i, s.image().toUri(), FundusRecordReader.class));
    } catch (IOException | RuntimeException e) {
      skips.add(s.image(), e.getMessage() == null ? e.toString() : e.getMessage());
      return null;
    }
  }

  @Override
  public List<String> getLabels() {
    return set.classNames();
  }

  @Override
  public void reset() {
    cursor = 0;
    pending = null;
    epoch++;
  }

  @Override
  public boolean resetSupported() {
    return true;
  }

  @Override
  public List<Writable> record(URI uri, DataInputStream dataInputStream) {
    throw new UnsupportedOperationException("FundusRecordReader reads the files of its LabelledSet, not streams");
  }

  @Override
  public Record loadFromMetaData(RecordMetaData recordMetaData) throws IOException {
    if (!(recordMetaData instanceof RecordMetaDataIndex idx) || idx.getIndex() < 0
        || idx.getIndex() >= set.samples().size()) {
      throw new IOException("Not metadata of this reader: " + recordMetaData);
    }
    Record r = load((int) idx.getIndex());
    if (r == null) {
      throw new IOException("Cannot load " + set.samples().get((int) idx.getIndex()).image()
          + " (see the skip report)");
    }
    return r;
  }

  @Override
  public List<Record> loadFromMetaData(List<RecordMetaData> list) throws IOException {
    List<Record> out = new ArrayList<>();
    for (RecordMetaData m : list) {
      out.add(loadFromMetaData(m));
    }
    return out;
  }

  @Override
  public void close() {}

  @Override
  public void setConf(Configuration conf) {
    this.conf = conf;
  }

  @Override
  public Configuration getConf() {
    return conf;
  }
}
