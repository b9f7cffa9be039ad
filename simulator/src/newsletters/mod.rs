//! Newsletters (channels): created, read, followed and edited through `w:mex` GraphQL IQs
//! ([`mex`]); posts go in the clear from the owner to every follower device, and history and
//! live updates are asked for with `newsletter` IQs ([`posts`]).
//!
//! Posts reach followers' companion devices; the simulated phones do not keep newsletter posts.

pub mod mex;
pub mod posts;

use openwa_protocol::Jid;
use openwa_protocol::jid::NEWSLETTER_SERVER;

use crate::state::{Newsletter, State};

/// The JID of newsletter `id`.
pub fn jid(id: &str) -> Jid {
    Jid::new(id, NEWSLETTER_SERVER)
}

/// The newsletter a JID names, if it exists.
pub fn find<'a>(state: &'a State, newsletter: &Jid) -> Option<&'a Newsletter> {
    (newsletter.server == NEWSLETTER_SERVER)
        .then(|| state.newsletters.get(newsletter.user.as_str()))
        .flatten()
}

/// The newsletter a JID names, if it exists, mutable.
pub fn find_mut<'a>(state: &'a mut State, newsletter: &Jid) -> Option<&'a mut Newsletter> {
    (newsletter.server == NEWSLETTER_SERVER)
        .then(|| state.newsletters.get_mut(newsletter.user.as_str()))
        .flatten()
}

/// Every companion device of the owner and the followers of `newsletter`: where posts go.
pub fn audience(state: &State, newsletter: &Newsletter) -> Vec<(String, u16)> {
    std::iter::once(&newsletter.owner)
        .chain(&newsletter.followers)
        .filter_map(|phone| state.accounts.get(phone))
        .flat_map(|account| {
            account
                .devices
                .keys()
                .filter(|device| **device != 0)
                .map(|device| (account.phone.clone(), *device))
        })
        .collect()
}
