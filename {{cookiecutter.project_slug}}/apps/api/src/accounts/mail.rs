//! The account mails, sent through SMTP (lettre) or, with MAIL_DEV_LOG=1, printed.
//!
//! Each mail is sent by a task of its own, after the answer: how long the mail server takes
//! never shows in the answer's timing, and a failure is logged without the address or the link.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;

/// What a mail says; its links are built from PUBLIC_URL.
#[derive(Debug)]
pub enum Mail {
    /// A new account: follow the link to verify the address and sign in.
    Verify { token: super::token::Token },
    /// Someone tried to sign up with this address, which has an account already.
    AlreadyRegistered,
    /// A password reset was asked for.
    Reset { token: super::token::Token },
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    public_url: String,
}

#[derive(Clone)]
enum Transport {
    Smtp {
        smtp: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    DevLog,
}

impl Mailer {
    pub fn new(config: &MailConfig, public_url: &str) -> Result<Self, String> {
        let transport = match config {
            MailConfig::Smtp { url, from } => Transport::Smtp {
                // The error never holds the URL (its password): lettre names only what is wrong.
                smtp: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|error| format!("SMTP_URL: {error}"))?
                    .build(),
                from: from
                    .parse()
                    .map_err(|_| "MAIL_FROM is not an address".to_owned())?,
            },
            MailConfig::DevLog => Transport::DevLog,
        };
        Ok(Self {
            transport,
            public_url: public_url.to_owned(),
        })
    }

    /// Sends in the background; the caller's answer does not wait.
    pub fn send(&self, to: String, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move { mailer.deliver(&to, mail).await });
    }

    async fn deliver(&self, to: &str, mail: Mail) {
        let (subject, body) = self.compose(&mail);
        let kind = match mail {
            Mail::Verify { .. } => "verify",
            Mail::AlreadyRegistered => "already_registered",
            Mail::Reset { .. } => "reset",
        };
        match &self.transport {
            // Development only (never in fly.toml): the terminal shows the mail and its links.
            Transport::DevLog => {
                println!("MAIL_DEV_LOG: to {to}: {subject}\n{body}");
            }
            Transport::Smtp { smtp, from } => {
                let sent = match to.parse::<Mailbox>() {
                    Ok(to) => match Message::builder()
                        .from(from.clone())
                        .to(to)
                        .subject(subject)
                        .header(ContentType::TEXT_PLAIN)
                        .body(body)
                    {
                        Ok(message) => smtp
                            .send(message)
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string()),
                        Err(error) => Err(error.to_string()),
                    },
                    Err(error) => Err(error.to_string()),
                };
                match sent {
                    Ok(()) => tracing::info!(mail = kind, "account mail sent"),
                    Err(error) => tracing::error!(mail = kind, %error, "account mail not sent"),
                }
            }
        }
    }

    fn compose(&self, mail: &Mail) -> (&'static str, String) {
        let url = &self.public_url;
        match mail {
            Mail::Verify { token } => (
                "Verify your e-mail address",
                format!(
                    "Follow this link within 24 hours to verify your address and sign in:\n\n\
                     {url}/verify-email?token={}\n\n\
                     If you did not sign up, ignore this mail: nothing happens without the link.\n",
                    token.as_str()
                ),
            ),
            Mail::AlreadyRegistered => (
                "Someone tried to sign up with your address",
                format!(
                    "Someone, maybe you, tried to sign up with this address, which already has an \
                     account. Your account is unchanged.\n\n\
                     Sign in: {url}/signin\n\
                     Forgot your password? {url}/forgot-password\n"
                ),
            ),
            Mail::Reset { token } => (
                "Reset your password",
                format!(
                    "Follow this link within 1 hour to choose a new password:\n\n\
                     {url}/reset-password?token={}\n\n\
                     Setting it signs you out everywhere. If you did not ask for it, ignore this \
                     mail: your password stays as it is.\n",
                    token.as_str()
                ),
            ),
        }
    }
}
