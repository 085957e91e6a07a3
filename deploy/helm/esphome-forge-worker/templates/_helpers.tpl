{{/* Names and labels shared by the templates. */}}
{{- define "forge-worker.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "forge-worker.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "forge-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "forge-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "forge-worker.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "forge-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: build-worker
app.kubernetes.io/part-of: esphome-forge
{{- end -}}

{{- define "forge-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "forge-worker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the worker token: the user's, or the one this chart makes from token.value. */}}
{{- define "forge-worker.tokenSecret" -}}
{{- if .Values.token.existingSecret -}}
{{- .Values.token.existingSecret -}}
{{- else if .Values.token.value -}}
{{- include "forge-worker.fullname" . -}}
{{- else -}}
{{- fail "a worker token is needed: set token.existingSecret (a Secret with the token) or token.value" -}}
{{- end -}}
{{- end -}}

{{- define "forge-worker.server" -}}
{{- required "server is required: the sidecar's URL, e.g. http://forge.forge.svc.cluster.local:7052" .Values.server | trimSuffix "/" -}}
{{- end -}}

{{- define "forge-worker.kind" -}}
{{- if .Values.cache.persistent -}}StatefulSet{{- else -}}Deployment{{- end -}}
{{- end -}}
