{{/* Objects are named after the release: `helm install canal-control` gives the names k8s/ uses. */}}
{{- define "canal-control.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fixed, not the release name: cluster bootstrap selects the replicas by it. */}}
{{- define "canal-control.name" -}}
canal-control
{{- end -}}

{{- define "canal-control.selectorLabels" -}}
app.kubernetes.io/name: {{ include "canal-control.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "canal-control.labels" -}}
{{ include "canal-control.selectorLabels" . }}
app.kubernetes.io/part-of: canal
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "canal-control.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "canal-control.tokenSecret" -}}
{{- .Values.management.token.existingSecret | default (printf "%s-token" (include "canal-control.fullname" .)) -}}
{{- end -}}

{{/* Several replicas cannot share a SQLite journal: refuse at install rather than corrupt it. */}}
{{- define "canal-control.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.persistence.postgres.existingSecret) -}}
{{- fail (printf "replicas is %d but persistence.postgres.existingSecret is empty: several replicas share one journal, which needs PostgreSQL (SQLite serves one replica). Create a Secret holding the connection string and set persistence.postgres.existingSecret, or set replicas=1." (int .Values.replicas)) -}}
{{- end -}}
{{- end -}}
