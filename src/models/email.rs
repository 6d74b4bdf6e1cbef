//! Email addresses: `getPrivacyUnsafeUserEmail` (`AccountIdEmailRecord`) and
//! `getPrivacyUnsafeUserEmailBulk` (a JSON array of them, `Vec<AccountIdEmailRecord>`).

use super::AccountId;

model! {
    /// A user's account ID and email address, regardless of their privacy settings
    /// (`AccountIdEmailRecord`). Only apps approved by Atlassian may call these endpoints.
    pub struct AccountIdEmailRecord {
        /// The account ID.
        required account_id: AccountId = "accountId",
        /// The email address.
        required email: String = "email",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_support::{assert_round_trip, decode_err, decode_ok};

    const EMAIL: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/email.json"
    ));
    const EMAIL_BULK: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/email_bulk.json"
    ));

    #[test]
    fn email_decodes() {
        let record: AccountIdEmailRecord = decode_ok(EMAIL);
        assert_eq!(record.account_id.as_str(), "5b10ac8d82e05b22cc7d4ef5");
        assert_eq!(record.email, "mia.krystof@example.com");
        assert_round_trip(&record);
    }

    #[test]
    fn email_bulk_decodes() {
        let records: Vec<AccountIdEmailRecord> = decode_ok(EMAIL_BULK);
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[1].account_id,
            AccountId::from("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")
        );
        assert_eq!(records[1].email, "j.smith@example.org");
        assert_round_trip(&records);
    }

    #[test]
    fn email_fields_are_required_and_not_null() {
        let (path, msg) = decode_err::<Vec<AccountIdEmailRecord>>(
            r#"[{"accountId": "5b10ac8d82e05b22cc7d4ef5", "email": null}]"#,
        );
        assert_eq!(path, "[0].email");
        assert!(
            msg.starts_with("invalid type: null, expected a string"),
            "{msg}"
        );
        let (path, msg) = decode_err::<AccountIdEmailRecord>(r#"{"email": "a@example.com"}"#);
        assert_eq!(path, ".");
        assert!(msg.starts_with("missing field `accountId`"), "{msg}");
        let (path, _) =
            decode_err::<AccountIdEmailRecord>(r#"{"accountId": 5, "email": "a@example.com"}"#);
        assert_eq!(path, "accountId");
        // The bulk body is an array; an object is refused.
        assert!(decode_err::<Vec<AccountIdEmailRecord>>(EMAIL)
            .1
            .starts_with("invalid type: map"));
    }
}
