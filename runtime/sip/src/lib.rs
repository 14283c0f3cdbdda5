//! Sans-IO SIP: messages and transactions.
