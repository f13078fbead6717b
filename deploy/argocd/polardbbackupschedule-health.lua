-- Argo CD health check for polardbbackup.dev/PolarDBBackupSchedule.
-- Install it under resource.customizations.health.polardbbackup.dev_PolarDBBackupSchedule in argocd-cm
-- (see argocd-cm-patch.yaml next to this file). First match wins:
--   no status yet, or status older than the spec -> Progressing
--   paused (Paused condition or annotation)      -> Suspended
--   Ready=False (InvalidSchedule)                -> Degraded (fix the schedule)
--   Stalled=True (QuotaFull, LastBackupFailed, CreateFailed, NameConflict) -> Degraded
--   spec.suspend: true                           -> Suspended
--   anything else                                -> Healthy (names the next run)
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
  hs.message = "Waiting for the operator to observe this schedule"
  return hs
end
local annotations = metadata.annotations or {}
local paused = condition("Paused")
if (paused ~= nil and paused.status == "True") or annotations["polardbbackup.dev/paused"] == "true" then
  hs.status = "Suspended"
  if paused ~= nil and paused.status == "True" and paused.message ~= nil and paused.message ~= "" then
    hs.message = paused.message
  else
    hs.message = "Reconciliation is paused"
  end
  return hs
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  if ready.message ~= nil and ready.message ~= "" then
    hs.message = ready.message
  else
    hs.message = ready.reason or "Not ready"
  end
  return hs
end
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "Stalled") .. ": " .. (stalled.message or "")
  return hs
end
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended by spec.suspend"
  return hs
end
hs.status = "Healthy"
if obj.status.nextScheduleTime ~= nil then
  hs.message = "Next backup at " .. obj.status.nextScheduleTime
else
  hs.message = "No backup scheduled"
end
local last = obj.status.lastSuccessfulBackup
if last ~= nil and last.time ~= nil then
  hs.message = hs.message .. "; last successful backup at " .. last.time
end
return hs
