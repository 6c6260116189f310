//! Why the Redis store could not be connected to, saying so without the
//! URL's password.
use redis::RedisError;

/// Why [`RedisStore::connect`] failed. The URL it names has any password
/// replaced, so the message can go to a terminal or a log.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL is not one the Redis client takes.
    BadUrl { url: String, source: RedisError },
    /// No connection could be made.
    Unreachable { url: String, source: RedisError },
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadUrl { url, source } => write!(f, "store {url}: {source}"),
            Self::Unreachable { url, source } => {
                write!(f, "cannot reach the store at {url}: {source}")
            }
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::BadUrl { source, .. } | Self::Unreachable { source, .. } => Some(source),
        }
    }
}

/// `url` with its password, if any, replaced by `[redacted]`.
pub(super) fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("[redacted]")).is_ok() {
                parsed.to_string()
            } else {
                "the configured URL".to_owned()
            }
        }
        Ok(_) => url.to_owned(),
        Err(_) if !url.contains('@') => url.to_owned(),
        Err(_) => "the configured URL".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        assert_eq!(
            redacted("redis://:hunter2@db.internal:6379/0"),
            "redis://:%5Bredacted%5D@db.internal:6379/0"
        );
        assert_eq!(
            redacted("redis://127.0.0.1:6379/15"),
            "redis://127.0.0.1:6379/15"
        );
        assert!(!redacted("redis://u:hunter2@[::1/0").contains("hunter2"));
    }

    #[tokio::test]
    async fn connect_errors_name_the_url_without_its_password() {
        let e = crate::store::RedisStore::connect("redis://:hunter2@127.0.0.1:1/0")
            .await
            .err()
            .unwrap();
        let shown = e.to_string();
        assert!(
            shown.starts_with("cannot reach the store at redis://"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
