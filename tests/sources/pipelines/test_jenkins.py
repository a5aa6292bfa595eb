"""The tolerant Jenkinsfile scanner."""

from __future__ import annotations

from cnsmm.sources.pipelines import inventory_entry, parse, sniff

SONAR = """\
pipeline {
  agent { label 'linux' }
  triggers { cron('H 2 * * *') }
  environment {
    NEXUS = credentials('nexus-login')
  }
  stages {
    stage('Build') {
      steps {
        sh 'mvn -B -DskipTests package'   // a { brace } in a comment
        echo "stage } done"
      }
    }
    stage("SonarQube analysis") {
      steps {
        withSonarQubeEnv('sonar') {
          sh 'mvn -B sonar:sonar'
        }
      }
    }
    stage('Quality gate') {
      steps {
        timeout(time: 10, unit: 'MINUTES') {
          waitForQualityGate abortPipeline: true
        }
      }
    }
    stage('Dependencies') {
      when { changeRequest() }
      steps {
        dependencyCheck additionalArguments: '--format XML', odcInstallation: 'dc'
        sh(label: 'audit', script: \"\"\"
          /* not a comment inside a string */
          trivy fs --exit-code 1 .
        \"\"\")
      }
    }
  }
}
"""


def test_declarative_pipeline_with_sonarqube_stage() -> None:
    assert sniff(SONAR) == "jenkins"
    p, errors, _ = parse(SONAR, "Jenkinsfile")
    assert p is not None and not errors and p.system == "jenkins"
    assert p.events == ("pull_request", "push", "schedule")
    stages = [j for j in p.jobs if j.id != "(pipeline)"]
    assert [(j.id, j.line) for j in stages] == [
        ("Build", 8), ("SonarQube analysis", 14), ("Quality gate", 21), ("Dependencies", 28)]
    assert [(s.name, s.line) for s in stages[0].steps] == [("sh", 10)]
    acts = inventory_entry(p)["activities"]
    got = [(a["category"], a["tool"], a["line"], a["job"], a["blocking"]) for a in acts]
    assert got == [
        ("sast", "SonarQube", 17, "SonarQube analysis", True),
        ("sca", "OWASP Dependency-Check", 31, "Dependencies", True),
        ("sca", "Trivy", 34, "Dependencies", True),
    ]


def test_credentials_and_interpolation_flags() -> None:
    p, _, _ = parse(SONAR, "Jenkinsfile")
    assert p is not None
    step = p.jobs[1].steps[0]
    assert step.credentials == ("NEXUS", "NEXUS_USR", "NEXUS_PSW")
    assert step.interpolated is False
    last = p.jobs[-1].steps[-1]
    assert last.run is not None and "trivy fs" in last.run and last.run_line == 32


def test_scripted_pipeline_and_sonar_without_gate() -> None:
    text = """\
node('docker') {
  stage('Checkout') { checkout scm }
  docker.image('golang:1.22').inside {
    stage('Vet') {
      sh "gosec ./..."
      withSonarQubeEnv('sonar') { sh 'sonar-scanner' }
    }
  }
}
"""
    assert sniff(text) == "jenkins"
    p, _, _ = parse(text, "ci/Jenkinsfile.release")
    assert p is not None
    assert [i.ref for j in p.jobs for i in j.images] == ["golang:1.22"]
    acts = {(a["tool"], a["line"]): a for a in inventory_entry(p)["activities"]}
    assert set(acts) == {("gosec", 5), ("SonarQube", 6)}
    # without waitForQualityGate abortPipeline: true the analysis does not gate the build
    assert acts[("SonarQube", 6)]["blocking"] is False


def test_unbalanced_and_unterminated_text_does_not_crash() -> None:
    for text in ("pipeline {\n  stages {\n    stage('x') {\n      sh 'trivy image a\n",
                 "stage(", "sh", "'''", "/* never closed", "pipeline { agent any stages {" + "{" * 5000):
        p, errors, _ = parse(text, "Jenkinsfile")
        assert p is not None and not errors


def test_empty_jenkinsfile_is_a_note() -> None:
    p, errors, notes = parse("  \n", "Jenkinsfile")
    assert p is None and not errors and notes and "empty" in notes[0]
