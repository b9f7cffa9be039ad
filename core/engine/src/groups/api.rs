//! The group methods of [`Session`]. Every call needs a live connection (`not_connected`
//! otherwise); group ids are `…@g.us`, members are phone numbers, `…@s.whatsapp.net` or
//! `…@lid`. Server refusals are typed: `permission_denied` (not a member / not an admin),
//! `not_found` (no such group or invite code), `invalid_argument`.

use crate::error::Error;
use crate::session::Session;

use super::manage;
use crate::group_types::{
    GroupInfo, GroupJoin, GroupJoinRequest, GroupSetting, ParticipantAction, ParticipantUpdate,
};

impl Session {
    /// Creates a group named `subject` with `participants` (may be empty); we become its super
    /// admin. Returns its metadata; a `GroupJoined` event follows. Members the server could not
    /// add are missing from the returned participants.
    pub async fn create_group(
        &self,
        subject: &str,
        participants: Vec<String>,
    ) -> Result<GroupInfo, Error> {
        let subject = subject.to_owned();
        self.on_runtime(move |s| async move {
            manage::create(s.shared(), &subject, &participants).await
        })
        .await
    }

    /// The metadata of a group we are in, fresh from the server.
    pub async fn group_info(&self, group: &str) -> Result<GroupInfo, Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move { manage::info(s.shared(), &group).await })
            .await
    }

    /// Every group we are in, with metadata.
    pub async fn joined_groups(&self) -> Result<Vec<GroupInfo>, Error> {
        self.on_runtime(|s| async move { manage::joined(s.shared()).await })
            .await
    }

    /// Adds, removes, promotes or demotes members (admins only, or anyone for `add` when the
    /// group lets every member add). Returns one result per member; a `GroupParticipants`
    /// event follows for those done.
    pub async fn update_group_participants(
        &self,
        group: &str,
        action: ParticipantAction,
        participants: Vec<String>,
    ) -> Result<Vec<ParticipantUpdate>, Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move {
            manage::update_participants(s.shared(), &group, action, &participants).await
        })
        .await
    }

    /// Renames a group (1 to 100 characters).
    pub async fn set_group_subject(&self, group: &str, subject: &str) -> Result<(), Error> {
        let group = manage::group_id(group)?;
        let subject = subject.to_owned();
        self.on_runtime(
            move |s| async move { manage::set_subject(s.shared(), &group, &subject).await },
        )
        .await
    }

    /// Sets a group's description (at most 2048 characters); `None` or `""` deletes it.
    pub async fn set_group_description(
        &self,
        group: &str,
        description: Option<String>,
    ) -> Result<(), Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move {
            manage::set_description(s.shared(), &group, description.as_deref()).await
        })
        .await
    }

    /// Changes one setting of a group (admins only, except the disappearing timer in groups
    /// that are not locked).
    pub async fn set_group_setting(&self, group: &str, setting: GroupSetting) -> Result<(), Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(
            move |s| async move { manage::set_setting(s.shared(), &group, &setting).await },
        )
        .await
    }

    /// The group's invite code (admins only); the link is `https://chat.whatsapp.com/CODE`.
    pub async fn group_invite_code(&self, group: &str) -> Result<String, Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move { manage::invite(s.shared(), &group, false).await })
            .await
    }

    /// Revokes the group's invite code and returns the new one (admins only).
    pub async fn revoke_group_invite(&self, group: &str) -> Result<String, Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move { manage::invite(s.shared(), &group, true).await })
            .await
    }

    /// The group an invite code (or `https://chat.whatsapp.com/…` link) opens, without
    /// joining.
    pub async fn group_invite_info(&self, code: &str) -> Result<GroupInfo, Error> {
        let code = code.to_owned();
        self.on_runtime(move |s| async move { manage::invite_info(s.shared(), &code).await })
            .await
    }

    /// Joins a group by invite code or link. In a group that needs approval a join request is
    /// filed instead (`pending_approval`).
    pub async fn join_group(&self, code: &str) -> Result<GroupJoin, Error> {
        let code = code.to_owned();
        self.on_runtime(move |s| async move { manage::join(s.shared(), &code).await })
            .await
    }

    /// Leaves a group.
    pub async fn leave_group(&self, group: &str) -> Result<(), Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move { manage::leave(s.shared(), &group).await })
            .await
    }

    /// The pending requests to join a group (admins only).
    pub async fn group_join_requests(&self, group: &str) -> Result<Vec<GroupJoinRequest>, Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move { manage::join_requests(s.shared(), &group).await })
            .await
    }

    /// Approves (`approve` true) or rejects join requests; one result per user.
    pub async fn answer_group_join_requests(
        &self,
        group: &str,
        approve: bool,
        participants: Vec<String>,
    ) -> Result<Vec<ParticipantUpdate>, Error> {
        let group = manage::group_id(group)?;
        self.on_runtime(move |s| async move {
            manage::answer_join_requests(s.shared(), &group, approve, &participants).await
        })
        .await
    }
}
