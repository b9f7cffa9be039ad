//! The group methods of `Session`: thin delegates to the engine's group API. Results are the
//! engine's JSON with camelCase keys; actions and settings are names (`add`, `joinApproval`…).

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::{Value, json};

use crate::convert::{self, promise, to_js, to_js_list};
use crate::session::Session;

/// An engine enum from its JSON form; `invalid_argument` otherwise.
fn from_json<T: serde::de::DeserializeOwned>(
    env: &Env,
    value: Value,
    what: &str,
) -> napi::Result<T> {
    serde_json::from_value(value.clone()).map_err(|e| {
        convert::error(
            env,
            openwa::Error::invalid_argument(format!("bad {what} {value}: {e}")),
        )
    })
}

#[napi]
impl Session {
    /// Creates a group (resolves with its metadata); we are its super admin.
    #[napi]
    pub fn create_group<'env>(
        &self,
        env: &'env Env,
        subject: String,
        participants: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.create_group(&subject, participants).await },
            |info| to_js(&info),
        )
    }

    /// A group's metadata, fresh from the server.
    #[napi]
    pub fn group_info<'env>(
        &self,
        env: &'env Env,
        group: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.group_info(&group).await }, |info| {
            to_js(&info)
        })
    }

    /// Every group we are in.
    #[napi]
    pub fn joined_groups<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.joined_groups().await }, |groups| {
            to_js_list(&groups)
        })
    }

    /// `action` (`add`, `remove`, `promote`, `demote`) on members; one result per member.
    #[napi]
    pub fn update_group_participants<'env>(
        &self,
        env: &'env Env,
        group: String,
        action: String,
        participants: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let action: openwa::ParticipantAction =
            from_json(env, Value::String(action), "participant action")?;
        let inner = self.inner.clone();
        promise(
            env,
            async move {
                inner
                    .update_group_participants(&group, action, participants)
                    .await
            },
            |results| to_js_list(&results),
        )
    }

    /// Renames a group.
    #[napi]
    pub fn set_group_subject<'env>(
        &self,
        env: &'env Env,
        group: String,
        subject: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.set_group_subject(&group, &subject).await },
            Ok,
        )
    }

    /// Sets (or, with `null`, deletes) a group's description.
    #[napi]
    pub fn set_group_description<'env>(
        &self,
        env: &'env Env,
        group: String,
        description: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.set_group_description(&group, description).await },
            Ok,
        )
    }

    /// Changes one setting: `announcement`, `locked`, `joinApproval` (boolean),
    /// `memberAddMode` (`admin_add`/`all_member_add`), `ephemeral` (seconds or `null`).
    #[napi]
    pub fn set_group_setting<'env>(
        &self,
        env: &'env Env,
        group: String,
        setting: String,
        value: Value,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let setting = json!({ "setting": convert::snake_case(&setting), "value": value });
        let setting: openwa::GroupSetting = from_json(env, setting, "group setting")?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.set_group_setting(&group, setting).await },
            Ok,
        )
    }

    /// The group's invite code (admins only).
    #[napi]
    pub fn group_invite_code<'env>(
        &self,
        env: &'env Env,
        group: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.group_invite_code(&group).await },
            Ok,
        )
    }

    /// Revokes the invite code; resolves with the new one.
    #[napi]
    pub fn revoke_group_invite<'env>(
        &self,
        env: &'env Env,
        group: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.revoke_group_invite(&group).await },
            Ok,
        )
    }

    /// The group an invite code or link opens, without joining.
    #[napi]
    pub fn group_invite_info<'env>(
        &self,
        env: &'env Env,
        code: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.group_invite_info(&code).await },
            |info| to_js(&info),
        )
    }

    /// Joins by invite code or link (`{jid, pendingApproval}`).
    #[napi]
    pub fn join_group<'env>(
        &self,
        env: &'env Env,
        code: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.join_group(&code).await },
            |joined| to_js(&joined),
        )
    }

    /// Leaves a group.
    #[napi]
    pub fn leave_group<'env>(
        &self,
        env: &'env Env,
        group: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.leave_group(&group).await }, Ok)
    }

    /// Pending join requests (admins only).
    #[napi]
    pub fn group_join_requests<'env>(
        &self,
        env: &'env Env,
        group: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.group_join_requests(&group).await },
            |requests| to_js_list(&requests),
        )
    }

    /// Approves (`approve` true) or rejects join requests; one result per user.
    #[napi]
    pub fn answer_group_join_requests<'env>(
        &self,
        env: &'env Env,
        group: String,
        approve: bool,
        participants: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move {
                inner
                    .answer_group_join_requests(&group, approve, participants)
                    .await
            },
            |results| to_js_list(&results),
        )
    }
}
