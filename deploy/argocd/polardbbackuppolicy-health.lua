-- Argo CD health check for polardbbackup.dev/PolarDBBackupPolicy.
-- Install it under resource.customizations.health.polardbbackup.dev_PolarDBBackupPolicy in argocd-cm
-- (see argocd-cm-patch.yaml next to this file). First match wins:
--   no status yet, or status older than the spec -> Progressing
--   Ready=False (InvalidSpec, NotPermitted, InvalidRequest, AuthFailed, ...) -> Degraded
--   InSync=False (ObserveOnly: PolarDB differs; nothing is changed) -> Degraded (names the drift)
--   anything else                                -> Healthy (names the last look)
local hs = {}
local function condition(conditionType)
  if obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end
local metadata = obj.metadata or {}
local generation = metadata.generation
if obj.status == nil or obj.status.observedGeneration == nil
    or (generation ~= nil and obj.status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe this policy"
  return hs
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = (ready.reason or "NotReady") .. ": " .. (ready.message or "")
  return hs
end
local inSync = condition("InSync")
if inSync ~= nil and inSync.status == "False" then
  hs.status = "Degraded"
  hs.message = (inSync.reason or "Drifted") .. ": " .. (inSync.message or "")
  return hs
end
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the first look at the cluster's policy"
  return hs
end
hs.status = "Healthy"
hs.message = "In sync"
if obj.status.lastSyncTime ~= nil then
  hs.message = hs.message .. "; last look at " .. obj.status.lastSyncTime
end
return hs
