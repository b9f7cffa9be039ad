//! `--state DIR` persistence: the whole [`State`] as one JSON file, written atomically
//! (temporary file, fsync, rename).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{STATE_VERSION, State};

/// File name of the state inside the state directory.
pub const STATE_FILE: &str = "state.json";

/// Why the state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid state.
    #[error("{path}: invalid state file: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The file was written by an incompatible version.
    #[error("{path}: unsupported state version {version} (expected {STATE_VERSION})")]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        version: u32,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |source| PersistError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Loads the state from `dir`, or `None` if there is none yet.
pub fn load(dir: &Path) -> Result<Option<State>, PersistError> {
    let path = dir.join(STATE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path)(e)),
    };
    let mut state: State =
        serde_json::from_slice(&bytes).map_err(|source| PersistError::Format {
            path: path.clone(),
            source,
        })?;
    if state.version != STATE_VERSION {
        return Err(PersistError::Version {
            path,
            version: state.version,
        });
    }
    state.reindex();
    Ok(Some(state))
}

/// Serializes the state (call under the state lock, then [`write()`] without it).
pub fn serialize(state: &State) -> Vec<u8> {
    // Serializing plain data structures with string keys cannot fail.
    serde_json::to_vec(state).unwrap_or_default()
}

/// Writes serialized state to `dir` atomically.
pub fn write(dir: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let path = dir.join(STATE_FILE);
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(io_error(&path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn round_trip_and_errors() {
        let dir = std::env::temp_dir().join(format!("openwa-sim-persist-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(load(&dir).unwrap().is_none());
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut state = State::new(&mut rng);
        state
            .create_account("15550000001", "A", 1, &mut rng)
            .unwrap();
        write(&dir, &serialize(&state)).unwrap();
        assert_eq!(load(&dir).unwrap(), Some(state.clone()));

        state.version = 99;
        write(&dir, &serialize(&state)).unwrap();
        assert!(matches!(
            load(&dir),
            Err(PersistError::Version { version: 99, .. })
        ));

        std::fs::write(dir.join(STATE_FILE), b"{not json").unwrap();
        assert!(matches!(load(&dir), Err(PersistError::Format { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
