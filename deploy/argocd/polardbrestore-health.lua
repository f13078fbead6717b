-- Argo CD health check for polardbbackup.dev/PolarDBRestore.
-- Install it under resource.customizations.health.polardbbackup.dev_PolarDBRestore in argocd-cm
-- (see argocd-cm-patch.yaml next to this file). First match wins:
--   no status yet                               -> Progressing (the spec is immutable: an edit
--                                                  is ignored, so a status never goes stale)
--   Succeeded                                   -> Healthy (names the new cluster; notes a clone
--                                                  deleted for its ttl)
--   Failed                                      -> Degraded (final: create a new PolarDBRestore)
--   waiting on something only a person can fix -> Degraded (Secret missing/invalid, credentials
--                                                  refused, no PolarDBAccessGrant allows it)
--   anything else (Pending, Creating, waits for capacity or the source backup) -> Progressing
local hs = {}
local needsPerson = {
  SecretNotFound = true,
  SecretInvalid = true,
  AuthFailed = true,
  NotPermitted = true,
}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to accept the restore"
  return hs
end
local phase = obj.status.phase
local reason = obj.status.reason or ""
local message = obj.status.message or ""
if phase == "Succeeded" then
  hs.status = "Healthy"
  if obj.status.dbClusterId ~= nil then
    hs.message = "Cluster " .. obj.status.dbClusterId .. " restored"
  else
    hs.message = "Tables restored"
  end
  if reason == "ClusterDeleted" or reason == "ClusterDeleting" then
    hs.message = hs.message .. "; " .. reason .. ": " .. message
  elseif obj.status.expiryTime ~= nil then
    hs.message = hs.message .. "; expires at " .. obj.status.expiryTime
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
