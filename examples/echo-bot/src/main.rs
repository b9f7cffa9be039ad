//! `echo-bot`: links a WhatsApp device (QR code in the terminal, or a pairing code) and answers
//! every incoming text with the same text. Point it at `openwa-sim` with `--server`,
//! `--trust-root` and `--tls-cert`; see the README's "Try it" section.
#![allow(clippy::print_stdout)] // a command-line program: its output is the user interface

mod args;
mod bot;

use std::process::ExitCode;

use args::{Args, ArgsError};

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(ArgsError::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("echo-bot: {err}");
            return ExitCode::from(2);
        }
    };
    match bot::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo-bot: {err}");
            ExitCode::FAILURE
        }
    }
}
