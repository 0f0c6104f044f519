//! Newline-delimited JSON-RPC over byte streams: one message per line in, one out.

use std::io::{self, BufRead, Write};

use serde_json::Value;

/// A line longer than this is not read into memory: it is answered as an invalid request.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// One frame read from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A line without its `\n` (and `\r`); the last one may have no newline at all.
    Line(Vec<u8>),
    /// A line longer than `MAX_MESSAGE_BYTES`, skipped up to its newline.
    TooLarge,
}

/// Reads frames from `reader`, at most `limit` bytes each.
pub struct Reader<R> {
    reader: R,
    limit: usize,
}

impl<R: BufRead> Reader<R> {
    pub fn new(reader: R) -> Self {
        Self::with_limit(reader, MAX_MESSAGE_BYTES)
    }

    pub fn with_limit(reader: R, limit: usize) -> Self {
        Reader { reader, limit }
    }

    /// The next frame; `None` at the end of input. Input that ends mid-line yields that
    /// partial line as a frame (it gets its answer, usually a parse error).
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let mut line = Vec::new();
        let mut too_large = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(match (line.is_empty(), too_large) {
                    (_, true) => Some(Frame::TooLarge),
                    (true, false) => None,
                    (false, false) => Some(Frame::Line(trim_cr(line))),
                });
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(at) => (at, true),
                None => (chunk.len(), false),
            };
            if !too_large && line.len() + take <= self.limit {
                line.extend_from_slice(&chunk[..take]);
            } else {
                too_large = true;
                line = Vec::new();
            }
            self.reader.consume(take + usize::from(done));
            if done {
                return Ok(Some(match too_large {
                    true => Frame::TooLarge,
                    false => Frame::Line(trim_cr(line)),
                }));
            }
        }
    }
}

fn trim_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// Writes one message as a single line and flushes it.
pub fn write_message(out: &mut impl Write, message: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, message)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], limit: usize) -> Vec<Frame> {
        let mut reader = Reader::with_limit(input, limit);
        std::iter::from_fn(|| reader.next_frame().unwrap()).collect()
    }

    fn line(text: &str) -> Frame {
        Frame::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn splits_lines_and_keeps_a_partial_last_line() {
        assert_eq!(
            frames(b"{\"a\":1}\r\n\n{\"b\"", 100),
            vec![line("{\"a\":1}"), line(""), line("{\"b\"")]
        );
        assert_eq!(frames(b"", 100), vec![]);
        assert_eq!(frames(b"x\n", 100), vec![line("x")]);
    }

    #[test]
    fn skips_an_oversized_line_and_reads_on() {
        let mut input = vec![b'x'; 50];
        input.extend_from_slice(b"\nok\n");
        input.extend(vec![b'y'; 50]);
        assert_eq!(
            frames(&input, 10),
            vec![Frame::TooLarge, line("ok"), Frame::TooLarge]
        );
    }

    #[test]
    fn reads_lines_longer_than_the_buffer() {
        let text = "z".repeat(20_000);
        let input = format!("{text}\n");
        let reader = std::io::BufReader::with_capacity(64, input.as_bytes());
        let mut reader = Reader::with_limit(reader, 1 << 20);
        assert_eq!(reader.next_frame().unwrap(), Some(line(&text)));
        assert_eq!(reader.next_frame().unwrap(), None);
    }
}
