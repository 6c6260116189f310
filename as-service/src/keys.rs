//! The signing keys: read from a private JWK set file, or generated and
//! written there on first start. An existing file is never overwritten: a
//! file that cannot be read stops the server rather than losing keys that
//! signed tokens still in use.
use std::io::Write;
use std::path::Path;

use oauth_core::jose::KeySet;

/// Loads the key set at `path`, or generates one and writes it there.
pub fn load_or_generate(path: &Path) -> Result<KeySet, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => KeySet::from_private_jwks(&text)
            .map_err(|e| format!("key file {}: {e}", path.display())),
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
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temp)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    written
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
