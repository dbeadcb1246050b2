package io.cubby.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Draws throughput by store and operation from JMH JSON results as a PNG bar chart (log scale), and prints the
 * same numbers as a Markdown table.
 * <p>
 * Run: {@code java -cp tools/bench/target/benchmarks.jar io.cubby.bench.Plot out.png results1.json ...}
 */
public final class Plot
{
    private static final Color[] COLORS = {
        new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C), new Color(0xFF7F0E), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0x7F7F7F), new Color(0x17BECF) };

    private Plot()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final Path out = Path.of(args[0]);
        // operation label -> store -> ops/s
        final Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
        final Set<String> stores = new LinkedHashSet<>();
        for (int i = 1; i < args.length; i++)
        {
            final Object parsed = new Json(Files.readString(Path.of(args[i]))).value();
            for (final Object item : (List<?>)parsed)
            {
                final Map<?, ?> result = (Map<?, ?>)item;
                final String benchmark = (String)result.get("benchmark");
                final Map<?, ?> params = (Map<?, ?>)result.get("params");
                final Map<?, ?> metric = (Map<?, ?>)result.get("primaryMetric");
                final double score = ((Number)metric.get("score")).doubleValue();
                final String unit = (String)metric.get("scoreUnit");
                final double opsPerSecond = toOpsPerSecond(score, unit);
                if (opsPerSecond <= 0 || null == params || null == params.get("store"))
                {
                    continue;
                }
                final String store = (String)params.get("store");
                final String op = benchmark.substring(benchmark.lastIndexOf('.') + 1) +
                    (null != params.get("entries") ? " " + shortCount(params.get("entries").toString()) : "") +
                    (null != params.get("valueSize") && !"64".equals(params.get("valueSize")) ?
                    " v" + params.get("valueSize") : "") +
                    (((Number)result.get("threads")).intValue() > 1 ? " t" + ((Number)result.get("threads")).intValue() : "");
                scores.computeIfAbsent(op, k -> new LinkedHashMap<>()).put(store, opsPerSecond);
                stores.add(store);
            }
        }
        draw(out, scores, new ArrayList<>(stores));
        printTable(scores, new ArrayList<>(stores));
    }

    private static String shortCount(final String count)
    {
        final long n = Long.parseLong(count);
        return n % 1_000_000 == 0 ? n / 1_000_000 + "M" : n % 1000 == 0 ? n / 1000 + "k" : count;
    }

    private static double toOpsPerSecond(final double score, final String unit)
    {
        switch (unit)
        {
            case "ops/s": return score;
            case "ops/ms": return score * 1e3;
            case "ops/us": return score * 1e6;
            case "ns/op": return 1e9 / score;
            case "us/op": return 1e6 / score;
            case "ms/op": return 1e3 / score;
            case "s/op": return 1 / score;
            default: return -1;
        }
    }

    private static void printTable(final Map<String, Map<String, Double>> scores, final List<String> stores)
    {
        final StringBuilder header = new StringBuilder("| operation |");
        final StringBuilder rule = new StringBuilder("|---|");
        for (final String store : stores)
        {
            header.append(' ').append(store).append(" |");
            rule.append("---:|");
        }
        System.out.println(header);
        System.out.println(rule);
        for (final Map.Entry<String, Map<String, Double>> row : scores.entrySet())
        {
            final StringBuilder line = new StringBuilder("| ").append(row.getKey()).append(" |");
            for (final String store : stores)
            {
                final Double value = row.getValue().get(store);
                line.append(' ').append(null == value ? "-" : String.format(Locale.ROOT, "%,.0f", value)).append(" |");
            }
            System.out.println(line);
        }
    }

    private static void draw(final Path out, final Map<String, Map<String, Double>> scores, final List<String> stores)
        throws IOException
    {
        final int groups = scores.size();
        final int barWidth = 14;
        final int groupWidth = Math.max(90, stores.size() * barWidth + 24);
        final int left = 90;
        final int top = 60;
        final int plotHeight = 420;
        final int width = left + groups * groupWidth + 180;
        final int height = top + plotHeight + 150;
        final BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Throughput by store (ops/s, log scale, higher is better)", left, 30);
        double max = 1;
        double min = Double.MAX_VALUE;
        for (final Map<String, Double> row : scores.values())
        {
            for (final double v : row.values())
            {
                max = Math.max(max, v);
                min = Math.min(min, v);
            }
        }
        final double lo = Math.pow(10, Math.floor(Math.log10(Math.max(1, min))));
        final double hi = Math.pow(10, Math.ceil(Math.log10(max)));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (double tick = lo; tick <= hi * 1.0001; tick *= 10)
        {
            final int y = top + plotHeight - (int)(plotHeight * Math.log10(tick / lo) / Math.log10(hi / lo));
            g.setColor(new Color(0xDDDDDD));
            g.drawLine(left, y, left + groups * groupWidth, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.0e", tick), 30, y + 4);
        }
        int gx = left;
        for (final Map.Entry<String, Map<String, Double>> row : scores.entrySet())
        {
            int x = gx + 12;
            for (int s = 0; s < stores.size(); s++)
            {
                final Double value = row.getValue().get(stores.get(s));
                if (null != value && value > 0)
                {
                    final int h = (int)(plotHeight * Math.log10(Math.max(lo, value) / lo) / Math.log10(hi / lo));
                    g.setColor(COLORS[s % COLORS.length]);
                    g.fillRect(x, top + plotHeight - h, barWidth - 2, h);
                }
                x += barWidth;
            }
            g.setColor(Color.BLACK);
            final Graphics2D rotated = (Graphics2D)g.create();
            rotated.translate(gx + 10, top + plotHeight + 12);
            rotated.rotate(Math.PI / 5);
            rotated.drawString(row.getKey(), 0, 0);
            rotated.dispose();
            gx += groupWidth;
        }
        g.setStroke(new BasicStroke(1));
        g.drawLine(left, top + plotHeight, left + groups * groupWidth, top + plotHeight);
        int ly = top + 10;
        for (int s = 0; s < stores.size(); s++)
        {
            g.setColor(COLORS[s % COLORS.length]);
            g.fillRect(left + groups * groupWidth + 20, ly - 10, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(stores.get(s), left + groups * groupWidth + 38, ly);
            ly += 18;
        }
        g.dispose();
        ImageIO.write(image, "png", out.toFile());
    }

    /** Just enough JSON for JMH's result files. */
    static final class Json
    {
        private final String text;
        private int pos;

        Json(final String text)
        {
            this.text = text;
        }

        Object value()
        {
            skip();
            final char c = text.charAt(pos);
            if (c == '{')
            {
                final Map<String, Object> map = new LinkedHashMap<>();
                pos++;
                skip();
                if (text.charAt(pos) == '}')
                {
                    pos++;
                    return map;
                }
                while (true)
                {
                    skip();
                    final String key = string();
                    skip();
                    pos++; // ':'
                    map.put(key, value());
                    skip();
                    if (text.charAt(pos++) == '}')
                    {
                        return map;
                    }
                }
            }
            if (c == '[')
            {
                final List<Object> list = new ArrayList<>();
                pos++;
                skip();
                if (text.charAt(pos) == ']')
                {
                    pos++;
                    return list;
                }
                while (true)
                {
                    list.add(value());
                    skip();
                    if (text.charAt(pos++) == ']')
                    {
                        return list;
                    }
                }
            }
            if (c == '"')
            {
                return string();
            }
            final int start = pos;
            while (pos < text.length() && ",]} \n\r\t".indexOf(text.charAt(pos)) < 0)
            {
                pos++;
            }
            final String token = text.substring(start, pos);
            switch (token)
            {
                case "true": return Boolean.TRUE;
                case "false": return Boolean.FALSE;
                case "null": return null;
                default: return "NaN".equals(token) ? Double.NaN : Double.parseDouble(token);
            }
        }

        private String string()
        {
            final StringBuilder out = new StringBuilder();
            pos++; // opening quote
            while (true)
            {
                final char c = text.charAt(pos++);
                if (c == '"')
                {
                    return out.toString();
                }
                if (c == '\\')
                {
                    final char e = text.charAt(pos++);
                    if (e == 'u')
                    {
                        out.append((char)Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    else
                    {
                        out.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
                    }
                }
                else
                {
                    out.append(c);
                }
            }
        }

        private void skip()
        {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos)))
            {
                pos++;
            }
        }
    }
}
