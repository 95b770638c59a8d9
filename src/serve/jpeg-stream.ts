/**
 * Splits a stream of concatenated JPEG images (ffmpeg's `-f image2pipe -c:v mjpeg` output, or
 * the parts of an MJPEG stream) into images: each runs from a start-of-image marker (FF D8) to
 * the first end-of-image marker (FF D9) after it. Entropy-coded data escapes every FF byte, so
 * no EOI appears inside an image that ffmpeg encoded.
 */
export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the images they complete. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const images: Buffer[] = [];
    for (;;) {
      const start = this.pending.indexOf(SOI);
      if (start < 0) {
        // Keep a last FF: it may begin the next image's marker.
        this.pending = this.pending.subarray(this.pending.length - (this.pending.at(-1) === 0xff ? 1 : 0));
        return images;
      }
      const end = this.pending.indexOf(EOI, start + 2);
      if (end < 0) {
        this.pending = this.pending.subarray(start);
        return images;
      }
      images.push(Buffer.from(this.pending.subarray(start, end + 2)));
      this.pending = this.pending.subarray(end + 2);
    }
  }
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
