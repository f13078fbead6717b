{{/* The release's full name: the release name, or RELEASE-polardb-backup-operator. */}}
{{- define "pbo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pbo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pbo.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: the existing ServiceAccount to run as (serviceAccount.create is false)" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* What the Deployment selects its pods by; the Service and ServiceMonitor select the same. */}}
{{- define "pbo.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pbo.labels" -}}
{{ include "pbo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.labels, and metadata.annotations when there are common ones. */}}
{{- define "pbo.metadata" -}}
labels:
  {{- include "pbo.labels" . | nindent 2 }}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* repository[:tag][@digest]; the tag defaults to the chart's appVersion. */}}
{{- define "pbo.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- if .Values.image.tag -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- end -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The ServiceAccount as an RBAC subject. */}}
{{- define "pbo.subject" -}}
- kind: ServiceAccount
  name: {{ include "pbo.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}

{{/*
The operator's rules on the resources it follows, the same in the ClusterRole and in each
namespace's Role (deploy/base/03-rbac.yaml says why each verb is there).
*/}}
{{- define "pbo.operatorRules" -}}
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackups"]
  verbs: ["get", "list", "watch", "patch", "update", "create", "delete"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackups/status"]
  verbs: ["update"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackupschedules"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackupschedules/status"]
  verbs: ["update"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackupschedules/finalizers"]
  verbs: ["update"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackuppolicies"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbbackuppolicies/status"]
  verbs: ["update"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbrestores"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["polardbbackup.dev"]
  resources: ["polardbrestores/status"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "patch"]
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "get", "update"]
{{- end -}}
