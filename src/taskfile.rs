//! A task's prompt or output file read back (`show --prompt|--output`, MCP
//! `include_prompt|include_output`): through safe_fs's checked open (never a symlink or a
//! FIFO, only a regular file of the user's), streamed whole or as its last bytes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// An opened prompt or output file.
#[derive(Debug)]
pub struct Opened {
    path: PathBuf,
    file: File,
}

/// The end of a file: its last bytes as text, and how much came before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub text: String,
    /// Bytes of the file left out before `text` (0: the whole file).
    pub skipped: u64,
    /// The file's size when it was read.
    pub total: u64,
}

/// Opens `path` for reading back; `None` when there is no such file.
pub fn open(path: &Path) -> Result<Option<Opened>> {
    Ok(crate::safe_fs::open_read(path)?.map(|file| Opened {
        path: path.to_path_buf(),
        file,
    }))
}

impl Opened {
    /// Copies the file to `out` in pieces, never holding it whole; returns the bytes
    /// copied.
    pub fn copy_to(mut self, out: &mut dyn Write) -> Result<u64> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match self.file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("reading {}", self.path.display()))
                }
            };
            out.write_all(&buf[..n]).context("writing to stdout")?;
            copied += n as u64;
        }
        out.flush().context("writing to stdout")?;
        Ok(copied)
    }

    /// The file's last `max` bytes or fewer as text (invalid UTF-8 replaced), starting
    /// at a character boundary.
    pub fn tail(mut self, max: u64) -> Result<Tail> {
        let reading = || format!("reading {}", self.path.display());
        let total = self.file.metadata().with_context(reading)?.len();
        let start = total.saturating_sub(max);
        self.file
            .seek(SeekFrom::Start(start))
            .with_context(reading)?;
        let mut bytes = Vec::new();
        (&mut self.file)
            .take(max)
            .read_to_end(&mut bytes)
            .with_context(reading)?;
        // A cut in the middle of a character: start at the next one.
        let lead = match start {
            0 => 0,
            _ => bytes
                .iter()
                .take(3)
                .take_while(|b| (0x80..0xC0).contains(*b))
                .count(),
        };
        Ok(Tail {
            text: String::from_utf8_lossy(&bytes[lead..]).into_owned(),
            skipped: start + lead as u64,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(dir: &tempfile::TempDir, bytes: &[u8]) -> Opened {
        let path = dir.path().join("f.txt");
        std::fs::write(&path, bytes).unwrap();
        open(&path).unwrap().unwrap()
    }

    #[test]
    fn a_short_file_is_whole_and_a_long_one_keeps_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let whole = opened(&dir, b"hello").tail(10).unwrap();
        assert_eq!(
            (whole.text.as_str(), whole.skipped, whole.total),
            ("hello", 0, 5)
        );
        let end = opened(&dir, b"0123456789").tail(4).unwrap();
        assert_eq!((end.text.as_str(), end.skipped, end.total), ("6789", 6, 10));
    }

    #[test]
    fn a_cut_character_is_skipped_not_mangled() {
        let dir = tempfile::tempdir().unwrap();
        // "aé€" = 61 C3A9 E282AC: the last 4 bytes start inside é.
        let tail = opened(&dir, "aé€".as_bytes()).tail(4).unwrap();
        assert_eq!((tail.text.as_str(), tail.skipped), ("€", 3));
    }

    #[test]
    fn copy_streams_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let n = opened(&dir, &bytes).copy_to(&mut out).unwrap();
        assert_eq!((n, out), (bytes.len() as u64, bytes));
    }

    #[test]
    fn links_and_fifos_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "secret").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open(&link).is_err());
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        assert!(open(&fifo).is_err());
        assert!(open(&dir.path().join("none")).unwrap().is_none());
    }
}
