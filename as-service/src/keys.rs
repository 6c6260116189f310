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
use std::path::Path;

use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use oauth_core::jose::KeySet;
use oauth_core::secret::Secret;

/// The keys a server signs and verifies with, as one swappable value.
#[derive(Debug)]
pub struct KeyState {
    pub set: KeySet,
    /// Every public key of the set, parsed, for verifying the server's own tokens.
    pub verification: JwkSet,
}

impl KeyState {
    pub fn new(set: KeySet) -> Result<Self, String> {
        let verification = oauth_core::jose::parse_jwks(&set.public_jwks().to_string())
            .map_err(|e| e.to_string())?;
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
) -> Result<Rotation, String> {
    if delay < 0 || retire_after < 0 {
        return Err("--delay and --retire-after cannot be negative".into());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
    let mut keys = KeySet::from_private_jwks(&text)
        .map_err(|e| format!("key file {}: {e}", path.display()))?;
    // Keep the server secret a file without one derives today.
    keys.keep_server_secret(server_secret(&keys));
    let before = keys.keys().len();
    keys.prune(now);
    let pruned = before - keys.keys().len();
    let activates_at = now.saturating_add(delay);
    let retires_at = activates_at.saturating_add(retire_after);
    let kid = keys
        .rotate(alg, activates_at, retires_at)
        .map_err(|e| e.to_string())?;
    replace(path, &keys.to_private_jwks())
        .map_err(|e| format!("cannot write key file {}: {e}", path.display()))?;
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
    pub fn changed(&mut self) -> Result<Option<KeySet>, String> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read key file {}: {e}", self.path.display()))?;
        if self.last.as_deref() == Some(text.as_str()) {
            return Ok(None);
        }
        let keys = KeySet::from_private_jwks(&text)
            .map_err(|e| format!("key file {}: {e}", self.path.display()))?;
        self.last = Some(text);
        Ok(Some(keys))
    }
}

/// A private key file must be readable by its owner only: a key others can
/// read signs tokens for whoever reads it.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "key file {} can be read by group or others (mode {:o}); it holds private keys: run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// Loads the key set at `path`, or generates one and writes it there. An
/// existing file that group or others can read is refused.
pub fn load_or_generate(path: &Path) -> Result<KeySet, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_private(path)?;
            KeySet::from_private_jwks(&text)
                .map_err(|e| format!("key file {}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keys = KeySet::generate().map_err(|e| e.to_string())?;
            match write_new(path, &keys.to_private_jwks()) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "generated a new signing key set");
                    Ok(keys)
                }
                // Another replica created it first: use its keys, so that
                // every replica signs with the same set.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_when_complete(path),
                Err(e) => Err(format!("cannot write key file {}: {e}", path.display())),
            }
        }
        Err(e) => Err(format!("cannot read key file {}: {e}", path.display())),
    }
}

/// Reads a key file another process is still writing: retried until it
/// parses (for up to 5 s).
fn read_when_complete(path: &Path) -> Result<KeySet, String> {
    let mut last = String::new();
    for _ in 0..50 {
        match std::fs::read_to_string(path).map(|t| KeySet::from_private_jwks(&t)) {
            Ok(Ok(keys)) => return Ok(keys),
            Ok(Err(e)) => last = e.to_string(),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(format!("key file {}: {last}", path.display()))
}

/// Writes a new file readable by its owner only; fails if it already exists
/// (two servers starting at once must not overwrite each other's keys).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
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

    #[test]
    fn a_corrupt_key_file_is_an_error_and_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("as-keys-{}", oauth_core::random::token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(load_or_generate(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
