package org.fundus4j.samples.synthetic;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.MultipleGradientPaint;
import java.awt.RadialGradientPaint;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Renders synthetic colour fundus photographs: a fundus disc on black, an optic disc with its cup, a
 * macula, and vessels branching from the optic disc; abnormal images carry lesions.
 *
 * <p>THE IMAGES ARE SYNTHETIC: cartoon-like, for demos and tests, not for any clinical claim. Lesions are
 * sized relative to the image (1-4 % of the width) so that they stay visible after resizing to 128 px.
 * Everything is drawn from the {@code Random} handed in, so the same seed gives the same pixels.
 *
 * <ul>
 *   <li>{@link #render(Random, int, boolean)}: binary normal/abnormal; abnormal images carry one to three
 *       of drusen (yellow dots near the macula), haemorrhages (dark red blots), hard exudates (bright
 *       yellow-white specks).
 *   <li>{@link #renderWithMask}: the same plus the exact vessel mask, for segmentation.
 *   <li>{@link #renderMultiLabel}: one drawn sign per label of the paper's seven ({@link #PAPER_LABELS}).
 * </ul>
 *
 * <pre>{@code
 * BufferedImage img = SyntheticFundus.render(new Random(42), 256, true);
 * }</pre>
 */
public final class SyntheticFundus {

  /** The paper's seven labels, in the order of its inference notebook. */
  public static final List<String> PAPER_LABELS =
      List.of("AMD", "Glaucoma", "Glaucoma_suspect", "DMR", "Pathologic_myopia", "ERM", "RVO");

  /** Index of AMD in {@link #PAPER_LABELS}. */
  public static final int AMD = 0;
  /** Index of glaucoma. */
  public static final int GLAUCOMA = 1;
  /** Index of glaucoma suspect. */
  public static final int GLAUCOMA_SUSPECT = 2;
  /** Index of diabetic retinopathy features (DMR). */
  public static final int DR = 3;
  /** Index of pathologic myopia. */
  public static final int MYOPIA = 4;
  /** Index of epiretinal membrane. */
  public static final int ERM = 5;
  /** Index of retinal vein occlusion. */
  public static final int RVO = 6;

  /**
   * A rendered image, its vessel mask and lesion mask ({@code TYPE_BYTE_GRAY}, 255 = vessel / lesion) and
   * its labels.
   *
   * @param lesionMask drusen, pigment, haemorrhages and exudates (not the ERM sheen, cup or atrophy)
   * @param labels {@code {0|1}} for binary renders, seven 0/1 entries for multi-label renders
   * @param rightEye whether the image is of a right eye (optic disc on the right of the image)
   */
  public record Rendered(BufferedImage image, BufferedImage vesselMask, BufferedImage lesionMask, int[] labels,
      boolean rightEye) {
    /** Checks presence and sizes; copies the labels. */
    public Rendered {
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(vesselMask, "vesselMask");
      Objects.requireNonNull(lesionMask, "lesionMask");
      if (image.getWidth() != vesselMask.getWidth() || image.getHeight() != vesselMask.getHeight()
          || image.getWidth() != lesionMask.getWidth() || image.getHeight() != lesionMask.getHeight()) {
        throw new IllegalArgumentException("Image and mask sizes differ");
      }
      labels = labels.clone();
    }

    /** Returns a copy of the labels. */
    @Override
    public int[] labels() {
      return labels.clone();
    }
  }

  private SyntheticFundus() {}

  /** Renders a normal or abnormal fundus of {@code size x size} pixels (16-4096), eye chosen at random. */
  public static BufferedImage render(Random rnd, int size, boolean abnormal) {
    return renderWithMask(rnd, size, abnormal, rnd.nextBoolean()).image();
  }

  /** Renders a normal or abnormal fundus of the given eye with its vessel mask. */
  public static Rendered renderWithMask(Random rnd, int size, boolean abnormal, boolean rightEye) {
    Scene s = new Scene(rnd, size, rightEye, new int[7]);
    s.drawBase();
    if (abnormal) {
      int kinds = 0;
      while (kinds == 0) {
        kinds = rnd.nextInt(8);
      }
      if ((kinds & 1) != 0) {
        s.drusen(10 + rnd.nextInt(14), 0.012, 0.024);
      }
      if ((kinds & 2) != 0) {
        s.haemorrhages(6 + rnd.nextInt(10), 0.014, 0.03, false);
      }
      if ((kinds & 4) != 0) {
        s.exudates(10 + rnd.nextInt(14));
      }
    }
    return s.finish(new int[] {abnormal ? 1 : 0});
  }

  /**
   * Renders a fundus showing the signs of the given labels (seven 0/1 entries in {@link #PAPER_LABELS}
   * order; glaucoma and glaucoma suspect must not both be 1).
   *
   * <p>Signs: AMD large drusen and pigment at the macula; glaucoma cup-to-disc ratio 0.8 (suspect 0.6,
   * normal 0.3); DMR microaneurysms, dot haemorrhages and hard exudates; pathologic myopia a paler
   * tessellated fundus with peripapillary atrophy; ERM a glinting wrinkled sheen over the macula; RVO
   * flame haemorrhages and a dilated tortuous vein in one quadrant.
   */
  public static Rendered renderMultiLabel(Random rnd, int size, int[] labels, boolean rightEye) {
    if (labels.length != 7) {
      throw new IllegalArgumentException("Expected 7 labels " + PAPER_LABELS + ", got " + labels.length);
    }
    if (labels[GLAUCOMA] != 0 && labels[GLAUCOMA_SUSPECT] != 0) {
      throw new IllegalArgumentException("Glaucoma and glaucoma suspect exclude each other: " + Arrays.toString(labels));
    }
    Scene s = new Scene(rnd, size, rightEye, labels);
    s.drawBase();
    if (labels[AMD] != 0) {
      s.drusen(14 + rnd.nextInt(12), 0.018, 0.034);
      s.pigment(4 + rnd.nextInt(5));
    }
    if (labels[DR] != 0) {
      s.haemorrhages(10 + rnd.nextInt(10), 0.008, 0.016, false);
      s.exudates(8 + rnd.nextInt(10));
    }
    if (labels[ERM] != 0) {
      s.membrane();
    }
    if (labels[RVO] != 0) {
      s.haemorrhages(14 + rnd.nextInt(10), 0.015, 0.03, true);
    }
    return s.finish(labels);
  }

  /** All drawing state of one image; discarded after {@link #finish}. */
  private static final class Scene {
    private final Random rnd;
    private final int size;
    private final boolean rightEye;
    private final int[] labels;
    private final BufferedImage img;
    private final BufferedImage mask;
    private final BufferedImage lesions;
    private final Graphics2D g;
    private final Graphics2D gm;
    private final Graphics2D gl;
    private final double cx;
    private final double cy;
    private final double r;
    private final double discX;
    private final double discY;
    private final double discR;
    private final double macX;
    private final double macY;
    private double rvoAngle;

    Scene(Random rnd, int size, boolean rightEye, int[] labels) {
      if (size < 16 || size > 4096) {
        throw new IllegalArgumentException("Synthetic image size must be 16-4096 pixels, got " + size);
      }
      this.rnd = rnd;
      this.size = size;
      this.rightEye = rightEye;
      this.labels = labels.clone();
      img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
      mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
      lesions = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
      g = img.createGraphics();
      gm = mask.createGraphics();
      gl = lesions.createGraphics();
      gl.setColor(Color.WHITE);
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      gm.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
      cx = size * (0.5 + jitter(0.015));
      cy = size * (0.5 + jitter(0.015));
      r = size * (0.45 + jitter(0.02));
      double side = rightEye ? 1 : -1;
      discX = cx + side * r * (0.42 + jitter(0.05));
      discY = cy + r * jitter(0.08);
      discR = size * (0.055 + jitter(0.006));
      macX = cx - side * r * (0.08 + jitter(0.04));
      macY = cy + r * (0.03 + jitter(0.04));
    }

    private double jitter(double amplitude) {
      return (rnd.nextDouble() * 2 - 1) * amplitude;
    }

    private static Color rgb(double red, double green, double blue) {
      return new Color(clamp(red), clamp(green), clamp(blue));
    }

    private static Color rgba(double red, double green, double blue, double alpha) {
      return new Color(clamp(red), clamp(green), clamp(blue), clamp(alpha));
    }

    private static int clamp(double v) {
      return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    private Ellipse2D circle(double x, double y, double radius) {
      return new Ellipse2D.Double(x - radius, y - radius, 2 * radius, 2 * radius);
    }

    void drawBase() {
      boolean myopia = labels[MYOPIA] != 0;
      double tint = jitter(18);
      Color centre = myopia ? rgb(225 + tint, 130 + tint / 2, 80) : rgb(205 + tint, 88 + tint / 2, 38);
      Color edge = myopia ? rgb(150 + tint, 70, 40) : rgb(120 + tint, 38, 14);
      Ellipse2D fundus = circle(cx, cy, r);
      g.setPaint(new RadialGradientPaint(new Point2D.Double(cx, cy), (float) r, new float[] {0f, 0.75f, 1f},
          new Color[] {centre, rgb(centre.getRed() * 0.9, centre.getGreen() * 0.85, centre.getBlue() * 0.85), edge},
          MultipleGradientPaint.CycleMethod.NO_CYCLE));
      g.fill(fundus);
      if (myopia) {
        tessellation();
      }
      // Macula: a darker, slightly brown spot with a bright foveal reflex.
      double macR = size * 0.09;
      g.setPaint(new RadialGradientPaint(new Point2D.Double(macX, macY), (float) macR, new float[] {0f, 1f},
          new Color[] {rgba(90, 30, 10, 170), rgba(90, 30, 10, 0)}));
      g.fill(circle(macX, macY, macR));
      g.setColor(rgba(255, 230, 190, 150));
      g.fill(circle(macX, macY, Math.max(0.6, size * 0.004)));
      // Optic disc with peripapillary atrophy (myopia) and its cup.
      if (myopia) {
        double side = rightEye ? -1 : 1;
        g.setColor(rgb(235, 215, 180));
        g.fill(circle(discX + side * discR * 0.45, discY, discR * 1.45));
      }
      g.setPaint(new RadialGradientPaint(new Point2D.Double(discX, discY), (float) discR, new float[] {0f, 0.8f, 1f},
          new Color[] {rgb(250, 215, 150), rgb(240, 180, 110), rgb(215, 130, 70)}));
      g.fill(circle(discX, discY, discR));
      double cupToDisc = labels[GLAUCOMA] != 0 ? 0.8 : labels[GLAUCOMA_SUSPECT] != 0 ? 0.6 : 0.3 + jitter(0.05);
      g.setColor(rgb(255, 245, 215));
      g.fill(circle(discX + discR * jitter(0.05), discY, discR * cupToDisc));
      vessels();
    }

    private void tessellation() {
      g.setStroke(new BasicStroke((float) Math.max(1, size * 0.006), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      g.setColor(rgba(120, 45, 25, 110));
      for (int i = 0; i < 40; i++) {
        double a = rnd.nextDouble() * Math.PI * 2;
        double d = r * (0.25 + 0.7 * rnd.nextDouble());
        double x = cx + d * Math.cos(a);
        double y = cy + d * Math.sin(a);
        double len = size * (0.03 + 0.05 * rnd.nextDouble());
        double b = a + Math.PI / 2 + jitter(0.5);
        g.draw(new Line2D.Double(x, y, x + len * Math.cos(b), y + len * Math.sin(b)));
      }
    }

    /** Four arcades from the optic disc, each a branching random walk bending around the macula. */
    private void vessels() {
      double away = rightEye ? Math.PI : 0; // towards the macula (temporal)
      double[] starts = {away - 0.9, away + 0.9, away + Math.PI - 0.7, away + Math.PI + 0.7};
      rvoAngle = starts[rnd.nextInt(4)];
      for (double a : starts) {
        boolean occluded = labels[RVO] != 0 && a == rvoAngle;
        double w = Math.max(1.6, size * (0.011 + jitter(0.0015))) * (occluded ? 1.5 : 1);
        branch(discX + discR * 0.5 * Math.cos(a), discY + discR * 0.5 * Math.sin(a), a, w, 0, occluded);
      }
    }

    private void branch(double x, double y, double angle, double width, int depth, boolean occluded) {
      double step = size * 0.03;
      int steps = 6 + rnd.nextInt(6);
      double bend = (rnd.nextBoolean() ? 1 : -1) * (0.04 + 0.05 * rnd.nextDouble());
      Color c = occluded ? rgb(95, 12, 12) : rgb(140 + jitter(10), 28, 22);
      Path2D.Double path = new Path2D.Double();
      path.moveTo(x, y);
      int inPath = 0;
      double pathWidth = width;
      for (int i = 0; i < steps && width >= Math.max(0.6, size * 0.002); i++) {
        double wiggle = occluded ? 0.45 : 0.18;
        angle += bend + jitter(wiggle);
        x += step * Math.cos(angle);
        y += step * Math.sin(angle);
        path.lineTo(x, y);
        inPath++;
        width *= 0.95;
        boolean outside = Math.hypot(x - cx, y - cy) > r;
        // Draw in chunks of three segments: one stroke call each, tapering chunk by chunk.
        if (inPath == 3 || outside || i == steps - 1) {
          stroke(path, pathWidth, c);
          path = new Path2D.Double();
          path.moveTo(x, y);
          inPath = 0;
          pathWidth = width;
        }
        if (outside) {
          return;
        }
        if (depth < 3 && rnd.nextDouble() < 0.28) {
          branch(x, y, angle + (rnd.nextBoolean() ? 1 : -1) * (0.5 + 0.4 * rnd.nextDouble()), width * 0.7,
              depth + 1, occluded);
        }
      }
      if (inPath > 0) {
        stroke(path, pathWidth, c);
      }
    }

    private void stroke(Shape path, double width, Color c) {
      BasicStroke stroke = new BasicStroke((float) width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
      g.setStroke(stroke);
      g.setColor(c);
      g.draw(path);
      gm.setStroke(stroke);
      gm.setColor(Color.WHITE);
      gm.draw(path);
    }

    /** Random point within {@code spread * r} of ({@code x}, {@code y}), inside the fundus disc. */
    private double[] near(double x, double y, double spread) {
      for (int tries = 0; ; tries++) {
        double a = rnd.nextDouble() * Math.PI * 2;
        double d = spread * r * Math.sqrt(rnd.nextDouble());
        double px = x + d * Math.cos(a);
        double py = y + d * Math.sin(a);
        if (Math.hypot(px - cx, py - cy) < r * 0.9 || tries > 20) {
          return new double[] {px, py};
        }
      }
    }

    void drusen(int n, double minR, double maxR) {
      for (int i = 0; i < n; i++) {
        double[] p = near(macX, macY, 0.38);
        double rad = size * (minR + (maxR - minR) * rnd.nextDouble());
        g.setPaint(new RadialGradientPaint(new Point2D.Double(p[0], p[1]), (float) rad, new float[] {0f, 1f},
            new Color[] {rgb(245, 225, 120), rgba(225, 190, 90, 60)}));
        g.fill(circle(p[0], p[1], rad));
        gl.fill(circle(p[0], p[1], rad * 0.7));
      }
    }

    void pigment(int n) {
      for (int i = 0; i < n; i++) {
        double[] p = near(macX, macY, 0.2);
        Shape spot = circle(p[0], p[1], size * (0.006 + 0.008 * rnd.nextDouble()));
        g.setColor(rgb(45, 22, 12));
        g.fill(spot);
        gl.fill(spot);
      }
    }

    void haemorrhages(int n, double minR, double maxR, boolean flameInRvoQuadrant) {
      for (int i = 0; i < n; i++) {
        double[] p;
        if (flameInRvoQuadrant) {
          double d = r * (0.2 + 0.55 * rnd.nextDouble());
          double a = rvoAngle + jitter(0.45);
          p = new double[] {discX + d * Math.cos(a), discY + d * Math.sin(a)};
        } else {
          p = near(cx, cy, 0.8);
        }
        double rad = size * (minR + (maxR - minR) * rnd.nextDouble());
        g.setColor(rgb(95 + jitter(15), 8, 8));
        if (flameInRvoQuadrant) {
          double a = rnd.nextDouble() * Math.PI;
          BasicStroke stroke = new BasicStroke((float) rad, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
          Shape flame = new Line2D.Double(p[0], p[1], p[0] + 2.5 * rad * Math.cos(a), p[1] + 2.5 * rad * Math.sin(a));
          g.setStroke(stroke);
          g.draw(flame);
          gl.setStroke(stroke);
          gl.draw(flame);
        } else {
          Shape blot = new Ellipse2D.Double(p[0] - rad, p[1] - rad * 0.8, 2 * rad, 1.6 * rad);
          g.fill(blot);
          gl.fill(blot);
        }
      }
    }

    void exudates(int n) {
      double[] centre = near(macX, macY, 0.25);
      for (int i = 0; i < n; i++) {
        double[] p = near(centre[0], centre[1], 0.22);
        double rad = size * (0.007 + 0.01 * rnd.nextDouble());
        g.setColor(rgb(255, 245, 170));
        g.fill(circle(p[0], p[1], rad));
        gl.fill(circle(p[0], p[1], rad));
      }
    }

    void membrane() {
      g.setStroke(new BasicStroke((float) Math.max(1, size * 0.005), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      g.setColor(rgba(255, 255, 255, 150));
      for (int i = 0; i < 14; i++) {
        double a = rnd.nextDouble() * Math.PI * 2;
        double d0 = size * 0.03;
        double d1 = size * (0.09 + 0.06 * rnd.nextDouble());
        double a1 = a + jitter(0.25);
        g.draw(new Line2D.Double(macX + d0 * Math.cos(a), macY + d0 * Math.sin(a), macX + d1 * Math.cos(a1),
            macY + d1 * Math.sin(a1)));
      }
      g.setPaint(new RadialGradientPaint(new Point2D.Double(macX, macY), (float) (size * 0.13), new float[] {0f, 1f},
          new Color[] {rgba(255, 255, 240, 90), rgba(255, 255, 240, 0)}));
      g.fill(circle(macX, macY, size * 0.13));
    }

    Rendered finish(int[] finalLabels) {
      // Black outside the fundus disc (cheaper than drawing everything through a circular clip).
      Area outside = new Area(new Rectangle2D.Double(0, 0, size, size));
      outside.subtract(new Area(circle(cx, cy, r)));
      g.setPaint(Color.BLACK);
      g.fill(outside);
      gm.setPaint(Color.BLACK);
      gm.fill(outside);
      gl.setPaint(Color.BLACK);
      gl.fill(outside);
      g.dispose();
      gm.dispose();
      gl.dispose();
      return new Rendered(img, mask, lesions, finalLabels, rightEye);
    }
  }
}
