# latency-svg.awk: draw the latency of scenarios 1 and 3 by percentile as
# an SVG.  Input: files of sorted latencies in ms, one per line, as
# loadgen writes them ($BENCH_STATE/latency.lat, idle+latency.lat).
#   awk -v title="..." -f latency-svg.awk latency.lat idle+latency.lat
# The x axis is the percentile on a tail scale (each step to the right is
# ten times rarer: 90%, 99%, 99.9%); the y axis is milliseconds.  The red
# dashed steps are the targets (p50 <= 1.5 ms, p99 <= 6 ms).

FNR == 1 { nf++; name[nf] = FILENAME; n[nf] = 0 }
{ n[nf]++; v[nf, n[nf]] = $1 + 0 }

function tx(x) { return L + x / 3 * (W - L - R) }
function ty(y) { return H - B - y / ymax * (H - T - B) }
function label(f) {
	if (f ~ /idle\+latency\.lat$/)
		return "on top of 10,000 parked polls (scenario 3)"
	if (f ~ /latency\.lat$/)
		return "unloaded (scenario 1)"
	return f
}

END {
	W = 640; H = 360; L = 56; R = 16; T = 34; B = 44
	color[1] = "#2563eb"; color[2] = "#ea580c"; color[3] = "#16a34a"
	# y range: the largest p99.9, at least past the 6 ms target.
	top = 8
	for (f = 1; f <= nf; f++) {
		i = int(0.999 * (n[f] - 1) + 0.5) + 1
		if (n[f] > 0 && v[f, i] > top)
			top = v[f, i]
	}
	split("5 10 15 20 25 30 40 50 60 80 100 150 200 300 500 1000", nice)
	for (k = 1; nice[k] != "" && nice[k] < top; k++)
		;
	ymax = nice[k] != "" ? nice[k] : top
	step = ymax <= 10 ? 1 : ymax <= 30 ? 5 : ymax <= 100 ? 10 : ymax / 10

	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" " \
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" " \
	    "font-size=\"12\">\n", W, H, W, H
	printf "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H
	printf "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">" \
	    "%s</text>\n", L, title != "" ? title : "latency by percentile"
	# Grid and axes.
	for (y = 0; y <= ymax + 1e-9; y += step) {
		printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" " \
		    "stroke=\"#e5e7eb\"/>\n", L, W - R, ty(y), ty(y)
		printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
		    L - 6, ty(y) + 4, y
	}
	split("0 0.30103 1 2 3", gx)
	split("0% 50% 90% 99% 99.9%", gl)
	for (k = 1; k <= 5; k++) {
		printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" " \
		    "stroke=\"#e5e7eb\"/>\n", tx(gx[k]), tx(gx[k]), T, H - B
		printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s" \
		    "</text>\n", tx(gx[k]), H - B + 16, gl[k]
	}
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile " \
	    "(send to the receiver's poll returning)</text>\n",
	    (L + W - R) / 2, H - 8
	printf "<text transform=\"translate(14 %d) rotate(-90)\" " \
	    "text-anchor=\"middle\">ms</text>\n", (T + H - B) / 2
	# Targets: p50 <= 1.5 ms, p99 <= 6 ms.
	printf "<polyline fill=\"none\" stroke=\"#dc2626\" stroke-width=\"1.5\" " \
	    "stroke-dasharray=\"5 4\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f " \
	    "%.1f,%.1f\"/>\n", tx(0), ty(1.5), tx(0.30103), ty(1.5),
	    tx(0.30103), ty(6), tx(2), ty(6)
	printf "<text x=\"%.1f\" y=\"%.1f\" fill=\"#dc2626\">target</text>\n",
	    tx(0.30103) + 4, ty(6) - 5
	# One line per file: sample i of n at percentile (i - 0.5) / n.
	for (f = 1; f <= nf; f++) {
		pts = ""; last = -1
		for (i = 1; i <= n[f]; i++) {
			p = (i - 0.5) / n[f]
			if (p > 0.999)
				break
			x = -log(1 - p) / log(10)
			if (x - last < 0.004 && i < n[f])
				continue
			y = v[f, i] > ymax ? ymax : v[f, i]
			pts = pts sprintf("%.1f,%.1f ", tx(x), ty(y))
			last = x
		}
		printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" " \
		    "points=\"%s\"/>\n", color[f], pts
		printf "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"3\" " \
		    "fill=\"%s\"/>\n", L + 10, T + 4 + 16 * (f - 1), color[f]
		printf "<text x=\"%d\" y=\"%d\">%s, %d messages</text>\n",
		    L + 30, T + 9 + 16 * (f - 1), label(name[f]), n[f]
	}
	print "</svg>"
}
