// Pipe reader for the trace benchmark: `node bench/linecount.mjs FIFO MARKER BANNER_REGEX`.
// Reads the tracer's stdout from a named pipe (a real pipe, as `tool | reader` would be) and
// counts the lines that contain MARKER (the workload's comm, present in every event line). It
// also parses lines reporting loss ("Lost N events", "Possibly lost N samples", "N events lost")
// in case a tracer prints them on stdout. Talks to the benchmark on stdin/stdout in JSON lines:
// {"banner":T} once BANNER_REGEX has been seen; on a "snap" line, {"lines":…}; at EOF the final
// {"final":true,"lines":…,"lost":…,"tLast":…}. Times are wall-clock ms (timeOrigin + now).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [fifo, markerText, bannerSrc] = process.argv.slice(2);
const marker = Buffer.from(markerText);
const banner = new RegExp(bannerSrc);
const now = () => performance.timeOrigin + performance.now();
let lines = 0;
let lost = 0;
let tLast = 0;
let carry = Buffer.alloc(0);
let head = '';
let bannerSeen = false;
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function scan(buf) {
  let n = 0;
  for (let i = buf.indexOf(marker); i !== -1; i = buf.indexOf(marker, i + marker.length)) n++;
  if (n) {
    lines += n;
    tLast = now();
  }
  for (let i = buf.indexOf('ost'); i !== -1; i = buf.indexOf('ost', i + 3)) {
    const s = buf.lastIndexOf(10, i) + 1;
    const e = buf.indexOf(10, i);
    const text = buf.subarray(s, e === -1 ? buf.length : e).toString();
    const m = /(\d+)\s+events lost|[Ll]ost\s+(\d+)/.exec(text);
    if (m) lost += Number(m[1] ?? m[2]);
    if (e === -1) break;
    i = e;
  }
}

const rs = createReadStream(fifo, { highWaterMark: 1 << 20 });
rs.on('data', (chunk) => {
  if (!bannerSeen) {
    head += chunk.toString('latin1');
    if (banner.test(head)) {
      bannerSeen = true;
      send({ banner: now() });
    }
  }
  const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
  const nl = data.lastIndexOf(10);
  if (nl === -1) {
    carry = Buffer.from(data);
    return;
  }
  scan(data.subarray(0, nl + 1));
  carry = Buffer.from(data.subarray(nl + 1));
});
rs.on('end', () => {
  if (carry.length) scan(carry);
  send({ final: true, lines, lost, tLast });
  process.exit(0);
});
createInterface({ input: process.stdin }).on('line', () => send({ lines, lost, tLast }));
