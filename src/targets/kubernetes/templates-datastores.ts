// The templates of a data store that runs in the cluster (hosting: cluster): its StatefulSet
// (PostgreSQL or Redis with a persistent volume) and the Service its clients connect to.
import { head } from "./templates.js";
import { CREATE_DATABASES_SCRIPT } from "./objects-datastores.js";
import { indent } from "./templates-backup.js";

/** PostgreSQL with its data on the volume; pg_isready tells when it is alive and ready. */
const POSTGRES_CONTAINER = `        - name: postgres
          image: {{ .image }}
          imagePullPolicy: Always
          ports:
            - name: postgres
              containerPort: {{ .port }}
              protocol: TCP
          env:
            - name: POSTGRES_USER
              value: {{ .user }}
            - name: POSTGRES_DB
              value: {{ .database }}
            - name: PGDATA
              value: /var/lib/postgresql/data/pgdata
            - name: POSTGRES_PASSWORD
              {{- toYaml $password | nindent 14 }}
            - name: DATABASES
              value: {{ join " " .databases | quote }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          lifecycle:
            postStart:
              exec:
                command:
                  - /bin/sh
                  - -c
                  - |-
${indent(CREATE_DATABASES_SCRIPT, 20)}
          livenessProbe:
            exec:
              command: ["pg_isready", "-U", {{ .user | quote }}, "-d", {{ .database | quote }}]
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            exec:
              command: ["pg_isready", "-U", {{ .user | quote }}, "-d", {{ .database | quote }}]
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          securityContext:
            {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" true) | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
            - name: tmp
              mountPath: /tmp
            - name: run
              mountPath: /var/run/postgresql
`;

/** Redis with its password from the Secret and its persistence flags; ready when the port is open. */
const REDIS_CONTAINER = `        - name: redis
          image: {{ .image }}
          imagePullPolicy: Always
          args:
            - redis-server
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
          ports:
            - name: redis
              containerPort: {{ .port }}
              protocol: TCP
          env:
            - name: REDIS_PASSWORD
              {{- toYaml $password | nindent 14 }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          livenessProbe:
            tcpSocket:
              port: redis
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            tcpSocket:
              port: redis
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          securityContext:
            {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" true) | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /data
            - name: tmp
              mountPath: /tmp
`;

export function statefulSetTemplate(name: string): string {
  return `${head("StatefulSet (in-cluster data store)", "datastores", name)}
{{- if .enabled }}
{{- $password := dict "valueFrom" (dict "secretKeyRef" (dict "name" $.Values.global.secretName "key" .passwordKey)) }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" "database") | nindent 2 }}
spec:
  serviceName: {{ $name }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $name "component" "database") | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 60
      securityContext:
        {{- include "gantry.podSecurityContext" $ | nindent 8 }}
      containers:
        {{- if eq .engine "postgres" }}
${POSTGRES_CONTAINER}        {{- else }}
${REDIS_CONTAINER}        {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if eq .engine "postgres" }}
        - name: run
          emptyDir: {}
        {{- end }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes:
          - ReadWriteOnce
        resources:
          requests:
            storage: {{ .storage }}
{{- end }}
{{- end }}
`;
}

export function dataStoreServiceTemplate(name: string): string {
  return `${head("Service (in-cluster data store)", "datastores", name)}
{{- if .enabled }}
apiVersion: v1
kind: Service
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" "database") | nindent 2 }}
spec:
  type: ClusterIP
  selector:
    {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 4 }}
  ports:
    - name: {{ .engine }}
      port: {{ .port }}
      targetPort: {{ .engine }}
      protocol: TCP
{{- end }}
{{- end }}
`;
}
