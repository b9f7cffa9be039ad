//! Differential tests of pairing crypto against Baileys 7 (npm), run through
//! `tests/interop/pairing-oracle.mjs`: ADV in both directions (our phone with Baileys'
//! companion, Baileys-built phone data with our companion) and the pairing-code exchange in both
//! directions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::pairing::PairCode;
use openwa_protocol::pairing::adv;
use openwa_protocol::pairing::code::{CompanionCodePairing, PrimaryCodePairing};
use openwa_protocol::proto::adv::AdvDeviceIdentity;
use openwa_testkit::node::{NodeScript, require_packages};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// Runs `tests/interop/pairing-oracle.mjs` on one request (its stdout and stderr captured).
fn run_oracle(request: &Value) -> std::process::Output {
    require_packages(&["baileys7"]);
    NodeScript::new("pairing-oracle.mjs").output_with_input(request.to_string().as_bytes())
}

fn oracle(request: Value) -> Value {
    let output = run_oracle(&request);
    assert!(
        output.status.success(),
        "oracle failed for {request}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    STANDARD.decode(value.as_str().unwrap()).unwrap()
}

fn key32(value: &Value) -> [u8; 32] {
    unb64(value).try_into().unwrap()
}

fn details(hosted: bool) -> AdvDeviceIdentity {
    let kind = i32::from(hosted);
    AdvDeviceIdentity {
        raw_id: Some(2_000_001),
        timestamp: Some(1_764_000_000),
        key_index: Some(4),
        account_type: Some(kind),
        device_type: Some(kind),
    }
}

#[test]
fn our_phone_with_baileys_companion() {
    let mut rng = StdRng::seed_from_u64(100);
    for hosted in [false, true] {
        let account = KeyPair::generate(&mut rng);
        let companion = KeyPair::generate(&mut rng);
        let adv_secret = [0x61u8; 32];
        let issued = adv::issue_device_identity(
            &details(hosted),
            &account,
            &companion.public,
            &adv_secret,
            &mut rng,
        );
        let answer = oracle(json!({
            "op": "adv_companion",
            "container": b64(&issued.container),
            "adv_secret": b64(&adv_secret),
            "identity_private": b64(&companion.private),
            "identity_public": b64(&companion.public),
        }));
        assert_eq!(answer["key_index"], "4");
        assert_eq!(key32(&answer["account_key"]), account.public);
        let verified = adv::verify_companion_reply(
            &unb64(&answer["reply"]),
            &issued.signed,
            &companion.public,
        )
        .unwrap();
        assert_eq!(verified.details, details(hosted));

        // Baileys refuses a container HMAC'd with another secret.
        let other = adv::issue_device_identity(
            &details(hosted),
            &account,
            &companion.public,
            &[0; 32],
            &mut rng,
        );
        let request = json!({
            "op": "adv_companion",
            "container": b64(&other.container),
            "adv_secret": b64(&adv_secret),
            "identity_private": b64(&companion.private),
            "identity_public": b64(&companion.public),
        });
        let output = run_oracle(&request);
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("Invalid account signature"));
    }
}

#[test]
fn baileys_phone_with_our_companion() {
    let mut rng = StdRng::seed_from_u64(101);
    for hosted in [false, true] {
        let account = KeyPair::generate(&mut rng);
        let companion = KeyPair::generate(&mut rng);
        let adv_secret = [0x62u8; 32];
        let answer = oracle(json!({
            "op": "adv_phone",
            "hosted": hosted,
            "raw_id": 2_000_001,
            "timestamp": 1_764_000_000u64,
            "key_index": 4,
            "account_private": b64(&account.private),
            "account_public": b64(&account.public),
            "companion_public": b64(&companion.public),
            "adv_secret": b64(&adv_secret),
        }));
        let container = unb64(&answer["container"]);
        let accepted = adv::accept_pair_success(
            &container,
            &adv_secret,
            &companion,
            Some(&account.public),
            &mut rng,
        )
        .unwrap();
        assert_eq!(accepted.key_index, 4);
        assert_eq!(accepted.details, details(hosted));
        assert_eq!(accepted.account_signature_key, account.public);
        assert_eq!(
            adv::accept_pair_success(&container, &[1; 32], &companion, None, &mut rng),
            Err(adv::AdvError::HmacMismatch)
        );
        if !hosted {
            let verdict = oracle(json!({
                "op": "adv_verify_reply",
                "reply": b64(&accepted.reply),
                "companion_public": b64(&companion.public),
                "account_public": b64(&account.public),
            }));
            assert_eq!(verdict["valid"], true);
            assert_eq!(verdict["has_account_key"], false);
        }
    }
}

#[test]
fn pair_code_alphabet_matches_baileys() {
    let mut rng = StdRng::seed_from_u64(102);
    for _ in 0..5 {
        let mut bytes = [0u8; 5];
        rand::RngCore::fill_bytes(&mut rng, &mut bytes);
        let answer = oracle(json!({ "op": "crockford", "bytes": b64(&bytes) }));
        assert_eq!(answer["code"], PairCode::from_bytes(bytes).as_str());
    }
}

#[test]
fn baileys_companion_with_our_phone() {
    let mut rng = StdRng::seed_from_u64(103);
    let companion_identity = KeyPair::generate(&mut rng);
    let primary_identity = KeyPair::generate(&mut rng);
    let hello = oracle(json!({ "op": "code_hello" }));
    let code = PairCode::parse(hello["code"].as_str().unwrap()).unwrap();
    let (phone, wrapped_primary) =
        PrimaryCodePairing::respond(&code, &unb64(&hello["wrapped"]), &mut rng).unwrap();
    let finish = oracle(json!({
        "op": "code_finish",
        "code": code.as_str(),
        "ephemeral_private": hello["ephemeral_private"],
        "wrapped_primary": b64(&wrapped_primary),
        "primary_identity": b64(&primary_identity.public),
        "identity_private": b64(&companion_identity.private),
        "identity_public": b64(&companion_identity.public),
    }));
    let adv_secret = phone
        .finish(
            &unb64(&finish["wrapped_bundle"]),
            &companion_identity.public,
            &primary_identity,
        )
        .unwrap();
    assert_eq!(adv_secret, key32(&finish["adv_secret"]));
}

#[test]
fn our_companion_with_baileys_primitives_phone() {
    let mut rng = StdRng::seed_from_u64(104);
    let companion_identity = KeyPair::generate(&mut rng);
    let primary_identity = KeyPair::generate(&mut rng);
    let (companion, wrapped) = CompanionCodePairing::start(&mut rng);
    let hello = oracle(json!({
        "op": "code_phone_hello",
        "code": companion.code().as_str(),
        "wrapped_companion": b64(&wrapped),
    }));
    assert_eq!(
        &key32(&hello["companion_ephemeral"]),
        companion.ephemeral_public()
    );
    let finish = companion
        .finish(
            &unb64(&hello["wrapped"]),
            &primary_identity.public,
            &companion_identity,
            &mut rng,
        )
        .unwrap();
    let phone = oracle(json!({
        "op": "code_phone_finish",
        "ephemeral_private": hello["ephemeral_private"],
        "companion_ephemeral": hello["companion_ephemeral"],
        "wrapped_bundle": b64(&finish.wrapped_key_bundle),
        "primary_identity_private": b64(&primary_identity.private),
    }));
    assert_eq!(
        key32(&phone["companion_identity"]),
        companion_identity.public
    );
    assert_eq!(key32(&phone["primary_identity"]), primary_identity.public);
    assert_eq!(key32(&phone["adv_secret"]), finish.adv_secret);
}
