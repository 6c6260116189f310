//! The signing keys: read from a private JWK set file, or generated and
//! written there on first start. An existing file is never overwritten: a
//! file that cannot be read stops the server rather than losing keys that
//! signed tokens still in use.
//!
//! Key rotation: `as-service keys rotate` adds a key that is published at
//! once and signs from a later time, and retires the old key once every
//! token it signed has expired. Running servers reread the file every few
//! seconds ([`KeyFileWatch`]), so every replica sharing the file follows.
use std::io::Write;
use std::path::{Path, PathBuf};

use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use oauth_core::jose::{JoseError, KeySet};
use oauth_core::secret::Secret;

/// Why a key file cannot be used, read, written or rotated.
#[derive(Debug)]
pub enum KeyError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a private JWK set this server can sign with.
    Invalid {
        path: PathBuf,
        source: JoseError,
    },
    /// Another process's file that never became complete; the last reason.
    Incomplete {
        path: PathBuf,
        last: String,
    },
    /// Group or others may read the file (Unix mode bits).
    Exposed {
        path: PathBuf,
        mode: u32,
    },
    /// A key could not be generated, or the set's public keys not parsed.
    Keys(JoseError),
    NegativeTimes,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read { path, source } => {
                write!(f, "cannot read key file {}: {source}", path.display())
            }
            Self::Write { path, source } => {
                write!(f, "cannot write key file {}: {source}", path.display())
            }
            Self::Invalid { path, source } => write!(f, "key file {}: {source}", path.display()),
            Self::Incomplete { path, last } => write!(f, "key file {}: {last}", path.display()),
            Self::Exposed { path, mode } => write!(
                f,
                "key file {} can be read by group or others (mode {mode:o}); it holds private keys: run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            Self::Keys(e) => write!(f, "{e}"),
            Self::NegativeTimes => f.write_str("--delay and --retire-after cannot be negative"),
        }
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            Self::Invalid { source, .. } | Self::Keys(source) => Some(source),
            _ => None,
        }
    }
}

impl KeyError {
    fn read(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Read {
            path: path.to_owned(),
            source,
        }
    }

    fn write(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Write {
            path: path.to_owned(),
            source,
        }
    }

    fn invalid(path: &Path) -> impl FnOnce(JoseError) -> Self + '_ {
        move |source| Self::Invalid {
            path: path.to_owned(),
            source,
        }
    }
}

/// The keys a server signs and verifies with, as one swappable value.
#[derive(Debug)]
pub struct KeyState {
    pub set: KeySet,
    /// Every public key of the set, parsed, for verifying the server's own tokens.
    pub verification: JwkSet,
}

impl KeyState {
    pub fn new(set: KeySet) -> Result<Self, KeyError> {
        let verification =
            oauth_core::jose::parse_jwks(&set.public_jwks().to_string()).map_err(KeyError::Keys)?;
        Ok(Self { set, verification })
    }
}

/// The server secret of a key set: the one kept in the file, else one
/// derived from the keys (files written before the file kept one). Every
/// replica reading the same file derives the same secret.
pub fn server_secret(keys: &KeySet) -> Secret {
    match keys.server_secret() {
        Some(secret) => secret.clone(),
        None => Secret::new(oauth_core::secret::fingerprint(&format!(
            "server secret\n{}",
            keys.to_private_jwks()
        ))),
    }
}

/// What a rotation did, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub kid: String,
    pub activates_at: i64,
    pub retires_at: i64,
    pub pruned: usize,
}

/// Rotates the `alg` key of the key file at `path`: a new key published now
/// and signing from `now + delay`; the current keys of that algorithm
/// retired at `now + delay + retire_after`; keys already retired dropped.
/// The file is replaced whole (readers see the old set or the new one).
pub fn rotate_file(
    path: &Path,
    alg: Algorithm,
    now: i64,
    delay: i64,
    retire_after: i64,
) -> Result<Rotation, KeyError> {
    if delay < 0 || retire_after < 0 {
        return Err(KeyError::NegativeTimes);
    }
    let text = std::fs::read_to_string(path).map_err(KeyError::read(path))?;
    let mut keys = KeySet::from_private_jwks(&text).map_err(KeyError::invalid(path))?;
    // Keep the server secret a file without one derives today.
    keys.keep_server_secret(server_secret(&keys));
    let before = keys.keys().len();
    keys.prune(now);
    let pruned = before - keys.keys().len();
    let activates_at = now.saturating_add(delay);
    let retires_at = activates_at.saturating_add(retire_after);
    let kid = keys
        .rotate(alg, activates_at, retires_at)
        .map_err(KeyError::Keys)?;
    replace(path, &keys.to_private_jwks()).map_err(KeyError::write(path))?;
    Ok(Rotation {
        kid,
        activates_at,
        retires_at,
        pruned,
    })
}

/// Follows a key file: [`KeyFileWatch::changed`] returns the new key set
/// when the file's content has changed since the last look.
#[derive(Debug)]
pub struct KeyFileWatch {
    path: std::path::PathBuf,
    last: Option<String>,
}

impl KeyFileWatch {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            last: std::fs::read_to_string(path).ok(),
        }
    }

    /// `Ok(None)`: unchanged. An unreadable or invalid file is an error and
    /// is looked at again next time (the server keeps its current keys).
    pub fn changed(&mut self) -> Result<Option<KeySet>, KeyError> {
        let text = std::fs::read_to_string(&self.path).map_err(KeyError::read(&self.path))?;
        if self.last.as_deref() == Some(text.as_str()) {
            return Ok(None);
        }
        let keys = KeySet::from_private_jwks(&text).map_err(KeyError::invalid(&self.path))?;
        self.last = Some(text);
        Ok(Some(keys))
    }
}

/// A private key file must be readable by its owner only: a key others can
/// read signs tokens for whoever reads it.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(KeyError::read(path))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

/// Loads the key set at `path`, or generates one and writes it there. An
/// existing file that group or others can read is refused.
pub fn load_or_generate(path: &Path) -> Result<KeySet, KeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_private(path)?;
            KeySet::from_private_jwks(&text).map_err(KeyError::invalid(path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keys = KeySet::generate().map_err(KeyError::Keys)?;
            match write_new(path, &keys.to_private_jwks()) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "generated a new signing key set");
                    Ok(keys)
                }
                // Another replica created it first: use its keys, so that
                // every replica signs with the same set.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_when_complete(path),
                Err(e) => Err(KeyError::write(path)(e)),
            }
        }
        Err(e) => Err(KeyError::read(path)(e)),
    }
}

/// Reads a key file another process is still writing: retried until it
/// parses (for up to 5 s).
fn read_when_complete(path: &Path) -> Result<KeySet, KeyError> {
    let mut last = String::new();
    for _ in 0..50 {
        match std::fs::read_to_string(path).map(|t| KeySet::from_private_jwks(&t)) {
            Ok(Ok(keys)) => return Ok(keys),
            Ok(Err(e)) => last = e.to_string(),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(KeyError::Incomplete {
        path: path.to_owned(),
        last,
    })
}

/// Writes a new file readable by its owner only; fails if it already exists
/// (two servers starting at once must not overwrite each other's keys), or
/// if its directory does not: a mistyped path creates nothing.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "the directory {} does not exist (create it, or name a key file in one that does)",
                dir.display()
            ),
        ));
    }
    // Written whole under a private name, then linked into place: the link
    // fails if the file exists, and a reader never sees half a key set.
    let temp = path.with_extension(format!("tmp-{}", oauth_core::random::token(8)));
    let mut file = private_file(&temp)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    written
}

/// Replaces the file at `path` whole: written under a private name, synced,
/// then renamed over it.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let temp = path.with_extension(format!("tmp-{}", oauth_core::random::token(8)));
    let written = private_file(&temp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// A new file readable by its owner only.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_reloads_the_same_keys() {
        let dir = std::env::temp_dir().join(format!("as-keys-{}", oauth_core::random::token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        let first = load_or_generate(&path).unwrap();
        let second = load_or_generate(&path).unwrap();
        let kids = |k: &KeySet| {
            k.keys()
                .iter()
                .map(|k| k.kid().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(kids(&first), kids(&second));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused_saying_how_to_fix_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("as-keys-{}", oauth_core::random::token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        load_or_generate(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_or_generate(&path).unwrap_err();
        assert!(matches!(e, KeyError::Exposed { mode: 0o644, .. }), "{e:?}");
        let shown = e.to_string();
        assert!(shown.contains("(mode 644)"), "{shown}");
        assert!(
            shown.ends_with(&format!("run `chmod 600 {}`", path.display())),
            "{shown}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_file_in_a_missing_directory_is_an_error_and_creates_nothing() {
        let dir = std::env::temp_dir().join(format!("as-keys-{}", oauth_core::random::token(8)));
        let path = dir.join("no").join("such").join("keys.json");
        let e = load_or_generate(&path).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(!dir.exists(), "no directory made");
    }

    #[test]
    fn a_corrupt_key_file_is_an_error_and_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("as-keys-{}", oauth_core::random::token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        std::fs::write(&path, "{not json").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let e = load_or_generate(&path).unwrap_err();
        assert!(matches!(e, KeyError::Invalid { .. }), "{e:?}");
        assert!(e.to_string().starts_with("key file "), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
