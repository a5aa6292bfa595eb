{{- define "cnsmm.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cnsmm.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cnsmm.labels" -}}
{{ include "cnsmm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "cnsmm.image" -}}
{{- if .Values.image.digest -}}
{{ printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest }}
{{- else -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "cnsmm.secretName" -}}
{{- if .Values.database.existingSecret -}}
{{ .Values.database.existingSecret }}
{{- else -}}
{{ include "cnsmm.fullname" . }}-db
{{- end -}}
{{- end -}}

{{- define "cnsmm.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "cnsmm.dbEnv" -}}
- name: CNSMM_DB
  valueFrom:
    secretKeyRef:
      name: {{ include "cnsmm.secretName" . }}
      key: {{ .Values.database.secretKey }}
{{- end -}}

{{- define "cnsmm.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-worker
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cnsmm.workerLabels" -}}
{{ include "cnsmm.workerSelectorLabels" . }}
app.kubernetes.io/component: worker
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "cnsmm.databaseEgress" -}}
- to:
    - namespaceSelector:
        {{- if .Values.networkPolicy.database.namespaceSelector }}
        matchLabels:
          {{- toYaml .Values.networkPolicy.database.namespaceSelector | nindent 10 }}
        {{- else }}
        {}
        {{- end }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.database.podSelector | nindent 10 }}
  ports:
    - {port: {{ .Values.networkPolicy.database.port }}, protocol: TCP}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end -}}

{{- /* Imports each server process runs: jobs.serverConcurrency, or 2 when there are no worker
pods and none was set (someone must run them). */ -}}
{{- define "cnsmm.serverJobs" -}}
{{- if and (not .Values.jobs.worker.enabled) (eq (int .Values.jobs.serverConcurrency) 0) -}}
2
{{- else -}}
{{ .Values.jobs.serverConcurrency }}
{{- end -}}
{{- end -}}
