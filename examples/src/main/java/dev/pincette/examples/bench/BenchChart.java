package dev.pincette.examples.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Time (log) against size (log) per backend for each op, with the crossover marked and auto's choice drawn as large
 * rings on the backend it picked. PNG puts every op in one grid image; SVG writes one file per op.
 */
public final class BenchChart {
  private BenchChart() {}

  public static List<Path> write(List<BenchResult> results, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Map<String, List<BenchResult>> byOp = new LinkedHashMap<>();
    for (BenchResult r : results) byOp.computeIfAbsent(r.benchCase().op(), k -> new ArrayList<>()).add(r);
    List<XYChart> charts = new ArrayList<>();
    byOp.forEach((op, rs) -> charts.add(chart(op, rs)));
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    List<Path> written = new ArrayList<>();
    if (name.endsWith(".svg")) {
      for (XYChart c : charts) {
        String base = file.toString().substring(0, file.toString().length() - 4);
        Path out = Path.of(charts.size() == 1 ? base + ".svg" : base + "-" + c.getTitle().split(" ")[0] + ".svg");
        VectorGraphicsEncoder.saveVectorGraphic(c, out.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        written.add(out);
      }
    } else if (name.endsWith(".png")) {
      int cols = Math.min(3, charts.size());
      int rows = (charts.size() + cols - 1) / cols;
      BitmapEncoder.saveBitmap(new ArrayList<>(charts), rows, cols, file.toString(), BitmapEncoder.BitmapFormat.PNG);
      written.add(file);
    } else {
      throw new IllegalArgumentException("--chart wants a .png or .svg file, got " + file);
    }
    return written;
  }

  private static XYChart chart(String op, List<BenchResult> rs) {
    XYChart chart = new XYChartBuilder().width(520).height(380).title(op + " (time vs size)")
        .xAxisTitle(rs.getFirst().benchCase().op().equals("matmul") ? "matrix side" : "size")
        .yAxisTitle("seconds").build();
    chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true).setLegendPosition(
        org.knowm.xchart.style.Styler.LegendPosition.InsideNW).setChartBackgroundColor(Color.WHITE)
        .setMarkerSize(7);
    List<String> backends = new ArrayList<>(rs.getFirst().medianSeconds().keySet());
    for (String backend : backends) {
      double[] x = rs.stream().mapToDouble(r -> r.benchCase().size()).toArray();
      double[] y = rs.stream().mapToDouble(r -> r.medianSeconds().get(backend)).toArray();
      XYSeries series = chart.addSeries(backend, x, y);
      series.setMarker(SeriesMarkers.CIRCLE);
    }
    double[] ax = rs.stream().mapToDouble(r -> r.benchCase().size()).toArray();
    double[] ay = rs.stream().mapToDouble(r -> r.medianSeconds().getOrDefault(r.chosen(), Double.NaN)).toArray();
    XYSeries auto = chart.addSeries("auto's choice", ax, ay);
    auto.setLineStyle(SeriesLines.NONE);
    auto.setMarker(SeriesMarkers.CIRCLE);
    auto.setMarkerColor(new Color(0, 0, 0, 70));
    for (int i = 1; i < rs.size(); i++) {
      if (!rs.get(i).fastest().equals(rs.get(i - 1).fastest())) {
        double at = Math.sqrt(rs.get(i).benchCase().size() * rs.get(i - 1).benchCase().size());
        double[] yRange = {minTime(rs), maxTime(rs)};
        XYSeries cross = chart.addSeries("crossover " + rs.get(i - 1).fastest() + "→" + rs.get(i).fastest(),
            new double[] {at, at}, yRange);
        cross.setMarker(SeriesMarkers.NONE);
        cross.setLineColor(Color.GRAY);
        cross.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4},
                0));
      }
    }
    return chart;
  }

  private static double minTime(List<BenchResult> rs) {
    return rs.stream().flatMap(r -> r.medianSeconds().values().stream()).mapToDouble(Double::doubleValue).min()
        .orElse(1e-6);
  }

  private static double maxTime(List<BenchResult> rs) {
    return rs.stream().flatMap(r -> r.medianSeconds().values().stream()).mapToDouble(Double::doubleValue).max()
        .orElse(1);
  }
}
