//! stdout for every command: a reader that goes away ends it quietly.
use super::error::Error;

/// Writes to stdout; a reader that closed the pipe (`| head`) ends the
/// command quietly, as it does a shell tool's.
pub(super) fn print_or_stop(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut stdout = std::io::stdout();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::Stdout(e)),
    }
}
