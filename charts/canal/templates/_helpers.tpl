{{/* The Deployment, its ServiceAccount and RBAC are named after the release (canal-gateway). */}}
{{- define "canal.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "canal.labels" -}}
{{ toYaml .Values.labels }}
app.kubernetes.io/name: canal
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: canal
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The pods' labels as a label selector, k=v[,k=v]: what canal-control's gatewaySelector must be. */}}
{{- define "canal.selector" -}}
{{- $pairs := list -}}
{{- range $key, $value := .Values.labels -}}
{{- $pairs = append $pairs (printf "%s=%s" $key $value) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
