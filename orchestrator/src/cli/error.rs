//! The one error a command returns.
use std::fmt;
use std::path::PathBuf;

/// Why a command could not do its job (exit status 2); a story that fails
/// is no error but a result (exit status 1).
#[derive(Debug)]
pub enum Error {
    /// The command line names something that does not exist or conflicts.
    Usage(String),
    /// The services could not be started or reached.
    Services(String),
    /// A file or directory could not be written.
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// stdout could not be written (other than a reader going away).
    Stdout(std::io::Error),
    /// A report could not be encoded.
    Encode(serde_json::Error),
    /// Ctrl-C: the run closed with what ran (exit status 130).
    Interrupted,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(why) | Self::Services(why) => f.write_str(why),
            Self::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Self::Stdout(e) => write!(f, "cannot write the transcript: {e}"),
            Self::Encode(e) => write!(f, "cannot encode the report: {e}"),
            Self::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Write { source, .. } | Self::Stdout(source) => Some(source),
            Self::Encode(e) => Some(e),
            Self::Usage(_) | Self::Services(_) | Self::Interrupted => None,
        }
    }
}
