// DNS-rebinding protection for plain HTTP (the upgrade gate does the same for WebSockets): a
// request whose Host header is not one this sidecar answers to gets 421 before anything else.
import type { RequestHandler } from "express";
import type { HostPolicy } from "../edge/host-policy.js";
import { hostMessage } from "../edge/upgrade-gate.js";
import { HttpError } from "./errors.js";

export function hostGuard(hosts: HostPolicy): RequestHandler {
  return (req, _res, next) => {
    if (hosts.hostAllowed(req.headers.host)) return next();
    next(new HttpError(421, "misdirected_request", hostMessage(req.headers.host)));
  };
}
