-- Argo CD health check for polardbbackup.dev/PolarDBBackup.
-- Install it under resource.customizations.health.polardbbackup.dev_PolarDBBackup in argocd-cm
-- (see argocd-cm-patch.yaml next to this file).
--   Succeeded                                   -> Healthy (its message notes a cluster policy that
--                                                  would delete the set with the cluster)
--   Succeeded, but the set is gone (BackupAvailable=False) -> Degraded: deleted behind the operator's
--                                                  back or with its cluster; nothing to restore from
--   Failed                                      -> Degraded (final: create a new PolarDBBackup)
--   waiting on something only a person can fix -> Degraded (Secret missing/invalid, credentials refused,
--                                                  no PolarDBAccessGrant allows it)
--   anything else (Pending, WaitingForQuota, Running, retries) -> Progressing
local hs = {}
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end
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
local available = condition("BackupAvailable")
local retained = condition("RetainedAfterClusterDeletion")
if phase == "Succeeded" and available ~= nil and available.status == "False" then
  hs.status = "Degraded"
  hs.message = (available.reason or "") .. ": " .. (available.message or "")
elseif phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Backup " .. (obj.status.backupId or "") .. " is complete"
  if retained ~= nil and retained.status == "False" then
    hs.message = hs.message .. "; " .. (retained.reason or "") .. ": deleting the cluster deletes it"
  end
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
