//! Lowering of the blocks deploys go to: `instance` (an EC2 instance with its UserData
//! choices) and `site` (an S3 website bucket).

use super::Lowerer;
use super::{Ctx, Declared};
use crate::check::{DeclBody, Fields};
use crate::report::Report;
use crate::schema;
use crate::validate::{NameRule, Validate};
use crate::value::Value;
use pipec_diagnostics::{Code, Diagnostic};
use pipec_ir::{Ingress, Instance, Kind, Origin, Site, Tag};
use pipec_span::Span;

impl<'a> Lowerer<'_, 'a> {
    pub(super) fn lower_instance(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Instance {
        let spec = schema::of_kind(Kind::Instance);
        let ami = self.attr_str_or_default(fields, spec.attr("ami"));
        if !(ami.starts_with("ami-") || ami.starts_with("{{resolve:ssm:")) {
            if let Some((_, expr, _)) = fields.attrs.get("ami") {
                self.report(
                    Diagnostic::error(Code::INVALID_VALUE, format!("`{ami}` is not an AMI id"))
                        .primary(expr.span.clone(), "expected `ami-…`")
                        .help("write an AMI id like \"ami-0c9c942bd7bf113a2\", or `ssm_ami(\"amazon_linux\")`"),
                );
            }
        }
        let instance_type = self.attr_str_or_default(fields, spec.attr("type"));
        if !instance_type.contains('.')
            || !instance_type
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-')
        {
            if let Some((_, expr, _)) = fields.attrs.get("type") {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        format!("`{instance_type}` is not an instance type"),
                    )
                    .primary(expr.span.clone(), "expected a type like \"t3.micro\"")
                    .help("write a family and a size, e.g. \"t3.micro\""),
                );
            }
        }
        let role = fields
            .attrs
            .get("role")
            .and_then(|(_, expr, scope)| self.ev.want_ref(expr, *scope, Kind::Role));
        let agent = self.attr_choice(fields, spec.attr("agent")) == "codedeploy";
        let os = self.attr_choice(fields, spec.attr("os")).to_string();
        let mut ingress = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("ingress") {
            for (value, span) in self.ev.want_list(expr, *scope).unwrap_or_default() {
                match value {
                    Value::Int(port) if (0..=65535).contains(&port) => ingress.push(Ingress {
                        port,
                        cidr: "0.0.0.0/0".to_string(),
                    }),
                    Value::Map(entries) => {
                        let mut port = None;
                        let mut cidr = "0.0.0.0/0".to_string();
                        for (key, key_span, value, value_span) in entries {
                            match (key.as_str(), value) {
                                ("port", Value::Int(number)) if (0..=65535).contains(&number) => {
                                    port = Some(number)
                                }
                                ("cidr", Value::Str(text)) if text.contains('/') => cidr = text,
                                (_, value) => self.ev.mismatch(
                                    &value_span,
                                    "`port = 0..65535` or `cidr = \"a.b.c.d/n\"`",
                                    &value,
                                    "write `{ port = 443, cidr = \"10.0.0.0/8\" }`",
                                ),
                            }
                            let _ = key_span;
                        }
                        match port {
                            Some(port) => ingress.push(Ingress { port, cidr }),
                            None => self.report(
                                Diagnostic::error(
                                    Code::MISSING_ATTRIBUTE,
                                    "an ingress rule needs `port`",
                                )
                                .primary(span, "no port")
                                .help("write `{ port = 443 }`"),
                            ),
                        }
                    }
                    other => self.ev.mismatch(
                        &span,
                        "a port number or `{ port, cidr }`",
                        &other,
                        "write `ingress = [80, { port = 22, cidr = \"10.0.0.0/8\" }]`",
                    ),
                }
            }
        }
        let key_name = self.attr_str(fields, "key_name");
        let subnet = self.attr_str(fields, "subnet");
        let vpc = self.attr_str(fields, "vpc");
        if let (Some(vpc), Some((_, expr, _))) = (&vpc, fields.attrs.get("vpc")) {
            if !vpc.starts_with("vpc-") {
                self.report(
                    Diagnostic::error(Code::INVALID_VALUE, format!("`{vpc}` is not a VPC id"))
                        .primary(expr.span.clone(), "expected `vpc-…`")
                        .help("write the VPC's id, e.g. \"vpc-0abc1234\""),
                );
            }
        }
        if subnet.is_some() && vpc.is_none() && !ingress.is_empty() {
            let mut diag = Diagnostic::error(Code::MISSING_ATTRIBUTE, format!("instance `{}` needs `vpc`", decl.name))
                .primary(decl.name_span.clone(), "`vpc` is missing")
                .note("The generated security group must be created in the subnet's VPC, which cannot be known before deployment.")
                .help("add `vpc = \"vpc-…\"` (the VPC of the subnet)");
            if let DeclBody::Block(block) = &decl.body {
                let at = block.body.span.start() + 1;
                diag = diag.fix(
                    "add `vpc`",
                    Span::new(block.body.span.file, at, at),
                    "\n  vpc = \"vpc-\"",
                );
            }
            self.report(diag);
        }
        let (software, software_span) = match fields.attrs.get("software") {
            Some((_, expr, scope)) => (self.software_list(expr, *scope), Some(expr.span.clone())),
            None => (Vec::new(), None),
        };
        let mut tags = self.tags(ctx, fields, &decl.name_span);
        if !tags.iter().any(|tag| tag.key == "Name") {
            tags.push(Tag {
                key: "Name".into(),
                value: format!("{}-{}", ctx.prefix, decl.name.replace('_', "-")),
            });
            tags.sort();
        }
        Instance {
            origin,
            ami,
            instance_type,
            role,
            agent,
            os,
            ingress,
            key_name,
            subnet,
            vpc,
            tags,
            software,
            software_span,
        }
    }

    pub(super) fn lower_site(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Site {
        let bucket_name = fields.attrs.get("bucket").and_then(|(_, expr, scope)| {
            let name = self.ev.want_str(expr, *scope)?;
            self.check_name(&name, NameRule::Bucket, &expr.span, false);
            Some(name)
        });
        let index = self.attr_str_or_default(fields, schema::of_kind(Kind::Site).attr("index"));
        let error = self.attr_str(fields, "error");
        let tags = self.tags(ctx, fields, &decl.name_span);
        Site {
            origin,
            bucket_name,
            index,
            error,
            tags,
        }
    }
}
