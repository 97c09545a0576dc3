// Draws the ratios as a horizontal bar chart in SVG, with a rule at 1.0 (parity with ioredis).

/** `bars` is [label, ratio][]; returns the SVG text. */
export function ratioChart(title, bars) {
  const rowHeight = 28;
  const labelWidth = 330;
  const plotWidth = 420;
  const top = 48;
  const height = top + bars.length * rowHeight + 40;
  const largest = Math.max(2, ...bars.map(([, ratio]) => ratio));
  const x = (ratio) => labelWidth + (ratio / largest) * plotWidth;
  const escapeXml = (text) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  const rows = bars.map(([label, ratio], index) => {
    const y = top + index * rowHeight;
    const colour = ratio >= 1 ? '#2f855a' : '#c53030';
    return [
      `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 5}" width="${Math.max(1, x(ratio) - labelWidth).toFixed(1)}" height="18" fill="${colour}"/>`,
      `<text x="${(x(ratio) + 6).toFixed(1)}" y="${y + 18}">${ratio.toFixed(2)}x</text>`,
    ].join('');
  });
  const parity = x(1).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${labelWidth + plotWidth + 80}" height="${height}" font-family="sans-serif" font-size="13">
<title>${escapeXml(title)}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="12" y="26" font-size="16" font-weight="bold">${escapeXml(title)}</text>
${rows.join('\n')}
<line x1="${parity}" y1="${top}" x2="${parity}" y2="${height - 30}" stroke="#333" stroke-dasharray="4 3"/>
<text x="${parity}" y="${height - 12}" text-anchor="middle">1.0 = as fast as the reference</text>
</svg>
`;
}
