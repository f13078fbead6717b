-- Argo CD health check for polardbbackup.dev/PolarDBBackup.
-- Install it under resource.customizations.health.polardbbackup.dev_PolarDBBackup in argocd-cm
-- (see argocd-cm-patch.yaml next to this file).
--   Succeeded                                   -> Healthy
--   Failed                                      -> Degraded (final: create a new PolarDBBackup)
--   waiting on something only a person can fix -> Degraded (Secret missing/invalid, credentials refused,
--                                                  no PolarDBAccessGrant allows it)
--   anything else (Pending, WaitingForQuota, Running, retries) -> Progressing
local hs = {}
local needsPerson = {
  SecretNotFound = true,
  SecretInvalid = true,
  AuthFailed = true,
  NotPermitted = true,
}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to accept the backup"
  return hs
end
local phase = obj.status.phase
local reason = obj.status.reason or ""
local message = obj.status.message or ""
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Backup " .. (obj.status.backupId or "") .. " is complete"
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = reason .. ": " .. message
elseif needsPerson[reason] then
  hs.status = "Degraded"
  hs.message = reason .. ": " .. message
else
  hs.status = "Progressing"
  if message ~= "" then
    hs.message = phase .. ": " .. message
  else
    hs.message = phase
  end
end
return hs
