{{/*
Names: RELEASE-stoke, or fullnameOverride; each part adds its own
suffix (-serve, -worker, -varnish, -postgresql, ...).
*/}}
{{- define "stoke.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stoke.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "stoke.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "stoke.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one part: (dict "root" $ "component" "serve") */}}
{{- define "stoke.selector" -}}
app.kubernetes.io/name: {{ include "stoke.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "stoke.componentLabels" -}}
{{ include "stoke.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference: (dict "root" $ "image" .Values.images.stoked) */}}
{{- define "stoke.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/*
Every Stoke container: not root, nothing gained, nothing written but
the volumes it is given.
*/}}
{{- define "stoke.containerSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.securityContext.runAsUser }}
  runAsGroup: {{ .Values.securityContext.runAsGroup }}
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end -}}

{{- define "stoke.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.securityContext.runAsUser }}
  runAsGroup: {{ .Values.securityContext.runAsGroup }}
  fsGroup: {{ .Values.securityContext.runAsGroup }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "stoke.pullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Scheduling of one part: (dict "part" .Values.serve) */}}
{{- define "stoke.scheduling" -}}
{{- with .part.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .part.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .part.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The Secret holding the database's URL, and its key. */}}
{{- define "stoke.dbSecret" -}}
{{- if and (eq .Values.database.mode "external") .Values.database.external.existingSecret -}}
{{- .Values.database.external.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "stoke.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "stoke.dbSecretKey" -}}
{{- if and (eq .Values.database.mode "external") .Values.database.external.existingSecret -}}
{{- .Values.database.external.existingSecretKey -}}
{{- else -}}
url
{{- end -}}
{{- end -}}

{{- define "stoke.jwtSecret" -}}
{{- default (printf "%s-jwt" (include "stoke.fullname" .)) .Values.secrets.jwt.existingSecret -}}
{{- end -}}

{{- define "stoke.warmSecret" -}}
{{- default (printf "%s-warm" (include "stoke.fullname" .)) .Values.secrets.warm.existingSecret -}}
{{- end -}}

{{- define "stoke.agentSecret" -}}
{{- default (printf "%s-agent" (include "stoke.fullname" .)) .Values.agent.existingSecret -}}
{{- end -}}

{{/* STOKE_DATABASE_URL, which every stoked command reads. */}}
{{- define "stoke.dbEnv" -}}
- name: STOKE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "stoke.dbSecret" . }}
      key: {{ include "stoke.dbSecretKey" . }}
{{- end -}}

{{/*
A value generated once: the one in the live Secret if there is one
(lookup; empty under helm template), else a new one.
(dict "root" $ "secret" NAME "key" KEY "new" VALUE)
*/}}
{{- define "stoke.keep" -}}
{{- $old := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $old $old.data (hasKey $old.data .key) -}}
{{- index $old.data .key | b64dec -}}
{{- else -}}
{{- .new -}}
{{- end -}}
{{- end -}}

{{/* NetworkPolicy peers: the namespace whose labels are given, else any. */}}
{{- define "stoke.npFrom" -}}
{{- if . }}
- namespaceSelector:
    matchLabels:
      {{- toYaml . | nindent 6 }}
{{- else }}
- namespaceSelector: {}
{{- end }}
{{- end -}}
{{- define "stoke.npDns" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}
