//! `cockpit.log` and its rotated predecessors `cockpit.log.1` (newest) to
//! `cockpit.log.N`: the Log panel forgets at exit, the file keeps the session
//! for later, and rotation keeps it from filling the disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "cockpit.log";
pub const DEFAULT_MAX_BYTES: u64 = 5 * 1024 * 1024;
pub const DEFAULT_KEEP: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum LogFileError {
    #[error("cannot create the log directory {}: {source}", dir.display())]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error("cannot open the log file {}: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
}

pub struct RotatingFile {
    path: PathBuf,
    file: File,
    len: u64,
    max_bytes: u64,
    keep: usize,
}

impl RotatingFile {
    /// Appends to `<dir>/cockpit.log`, creating the directory: the previous
    /// session's lines stay and count towards the size.
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> Result<RotatingFile, LogFileError> {
        fs::create_dir_all(dir).map_err(|source| LogFileError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let open_err = |source| LogFileError::Open {
            path: path.clone(),
            source,
        };
        let file = append(&path).map_err(open_err)?;
        let len = file.metadata().map_err(open_err)?.len();
        Ok(RotatingFile {
            path,
            file,
            len,
            max_bytes,
            keep,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `line` (with its newline) in one piece: rotates first when it
    /// would take the file past the size, so a file holds whole lines and
    /// never more than `max_bytes` unless one line alone is longer.
    pub fn write_line(&mut self, line: &str) -> io::Result<()> {
        let n = line.len() as u64;
        if self.len > 0 && self.len + n > self.max_bytes {
            self.rotate()?;
        }
        // Unbuffered: a crash or a kill -9 loses no line already logged.
        self.file.write_all(line.as_bytes())?;
        self.len += n;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        if self.keep == 0 {
            fs::remove_file(&self.path)?;
        } else {
            // The oldest is overwritten by the rename into its place.
            for i in (1..self.keep).rev() {
                match fs::rename(self.numbered(i), self.numbered(i + 1)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            fs::rename(&self.path, self.numbered(1))?;
        }
        self.file = append(&self.path)?;
        self.len = 0;
        Ok(())
    }

    fn numbered(&self, i: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{i}"));
        PathBuf::from(name)
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 bytes with the newline.
    fn line(i: usize) -> String {
        format!("line {i:04}\n")
    }

    fn read(dir: &Path, name: &str) -> String {
        fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn rotates_before_the_line_that_would_pass_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = RotatingFile::open(dir.path(), 35, 5).unwrap();
        for i in 0..3 {
            file.write_line(&line(i)).unwrap();
        }
        assert!(!dir.path().join("cockpit.log.1").exists());
        file.write_line(&line(3)).unwrap();
        assert_eq!(
            read(dir.path(), "cockpit.log.1"),
            line(0) + &line(1) + &line(2)
        );
        assert_eq!(read(dir.path(), "cockpit.log"), line(3));
    }

    #[test]
    fn keeps_only_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = RotatingFile::open(dir.path(), 20, 3).unwrap();
        // Two lines a file: lines 0..=9 make five files, of which four remain.
        for i in 0..10 {
            file.write_line(&line(i)).unwrap();
        }
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "cockpit.log",
                "cockpit.log.1",
                "cockpit.log.2",
                "cockpit.log.3"
            ]
        );
        assert_eq!(read(dir.path(), "cockpit.log"), line(8) + &line(9));
        assert_eq!(read(dir.path(), "cockpit.log.1"), line(6) + &line(7));
        assert_eq!(read(dir.path(), "cockpit.log.3"), line(2) + &line(3));
    }

    #[test]
    fn a_reopened_file_counts_what_it_already_holds() {
        let dir = tempfile::tempdir().unwrap();
        RotatingFile::open(dir.path(), 25, 2)
            .unwrap()
            .write_line(&line(0))
            .unwrap();
        let mut file = RotatingFile::open(dir.path(), 25, 2).unwrap();
        file.write_line(&line(1)).unwrap();
        file.write_line(&line(2)).unwrap();
        assert_eq!(read(dir.path(), "cockpit.log.1"), line(0) + &line(1));
        assert_eq!(read(dir.path(), "cockpit.log"), line(2));
    }

    #[test]
    fn a_line_longer_than_the_size_gets_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = RotatingFile::open(dir.path(), 5, 2).unwrap();
        file.write_line(&line(0)).unwrap();
        file.write_line(&line(1)).unwrap();
        assert_eq!(read(dir.path(), "cockpit.log.1"), line(0));
        assert_eq!(read(dir.path(), "cockpit.log"), line(1));
    }

    #[test]
    fn a_directory_that_cannot_be_created_says_which_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-dir");
        fs::write(&blocker, "").unwrap();
        let logs = blocker.join("logs");
        let err = match RotatingFile::open(&logs, 100, 5) {
            Err(e) => e,
            Ok(_) => panic!("opened a log under a regular file"),
        };
        assert!(matches!(err, LogFileError::CreateDir { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "cannot create the log directory {}: ",
                logs.display()
            )),
            "{message}"
        );
    }
}
