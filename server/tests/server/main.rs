//! End-to-end tests of `openwa-server`: the real binary as a child process, against the
//! in-process simulator, over HTTP with reqwest, with a real webhook receiver.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod actions;
mod app_state;
mod auth;
mod chats;
mod crash;
mod events;
mod flow;
mod groups;
mod media;
mod polls;
mod robustness;
mod sandbox;
mod webhooks;
