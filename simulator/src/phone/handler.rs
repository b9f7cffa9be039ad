//! The phones as device 0 of every account: what the hub routes to device 0 reaches
//! [`super::receive`], receipts for what the phones sent reach [`super::receipts`].

use openwa_protocol::Node;
use openwa_protocol::stanza::Receipt;

use super::{receipts, receive};
use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::router::{PhoneHandler, Router};

/// The simulated phones.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phones;

impl PhoneHandler<Hub> for Phones {
    fn receive(&self, hub: &Hub, phone: &str, node: &Node) {
        receive::receive(hub, phone, node);
    }

    fn receipt(&self, hub: &Hub, phone: &str, receipt: &Receipt, from: &DeviceRef) {
        receipts::on_receipt(hub, phone, receipt, from);
    }

    fn record_status(&self, hub: &Hub, phone: &str, receipt: &Receipt, from: &DeviceRef) {
        receipts::record_status(hub, phone, receipt, from);
    }
}

/// Makes the simulated phones device 0 of every account.
pub fn register(router: &mut Router<Hub>) {
    router.set_phone(Phones);
}
